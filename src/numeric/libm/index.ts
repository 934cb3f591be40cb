// Bit-exact ports of glibc 2.36's x86_64 FMA variants of log, sin and cos (what
// CPython's math.log/sin/cos return on Linux with an FMA CPU; ALGORITHMS.md §0.7).
export { log } from './log.js';
export { sin, cos } from './sincos.js';
export { fma } from './fma.js';
