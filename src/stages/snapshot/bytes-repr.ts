// Python's repr(bytes), byte for byte: the runtime formats its prefix-free error
// message with `{piece!r}`, and that text lands in sera_state.json.

/** `repr(b)` as CPython 3 writes it, e.g. `b'a\\x00'`, `b"it's"`. */
export function pyBytesRepr(b: Uint8Array): string {
  // CPython picks double quotes only when the value has a ' and no ".
  let hasSingle = false;
  let hasDouble = false;
  for (const c of b) {
    if (c === 0x27) hasSingle = true;
    else if (c === 0x22) hasDouble = true;
  }
  const quote = hasSingle && !hasDouble ? 0x22 : 0x27;
  let out = 'b' + String.fromCharCode(quote);
  for (const c of b) {
    if (c === quote || c === 0x5c) out += '\\' + String.fromCharCode(c);
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += '\\x' + (c < 16 ? '0' : '') + c.toString(16);
    else out += String.fromCharCode(c);
  }
  return out + String.fromCharCode(quote);
}
