// First free byte after static data: the host places its scratch region here.
export function HEAP_BASE(): usize {
  return (__heap_base + 15) & ~<usize>15;
}
