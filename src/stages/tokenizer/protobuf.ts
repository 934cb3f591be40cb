// A minimal protobuf wire-format reader: enough to walk a SentencePiece
// ModelProto (varints, length-delimited fields, fixed32/fixed64 and groups skipped).

export class ProtobufError extends Error {}

export const enum WireType {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

export interface Field {
  field: number;
  wire: WireType;
  /** Varint value (wire 0), as bigint: 64-bit values (e.g. pad_id -1) need all 10 bytes. */
  varint: bigint;
  /** Payload of a length-delimited field (wire 2), a view into the input. */
  bytes: Uint8Array;
  /** Raw little-endian value of a fixed32 field. */
  fixed32: number;
}

export class ProtoReader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  get done(): boolean {
    return this.#pos >= this.#end;
  }

  #varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= this.#end) throw new ProtobufError('truncated varint');
      const b = this.#buf[this.#pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  #skip(n: number): void {
    if (n > this.#end - this.#pos) throw new ProtobufError('truncated field');
    this.#pos += n;
  }

  /** Skips fields up to the EndGroup matching `field` (groups are legal, if obsolete). */
  #skipGroup(field: number): void {
    for (;;) {
      if (this.done) throw new ProtobufError('unterminated group');
      const f = this.next();
      if (f.wire === WireType.EndGroup) {
        if (f.field !== field) throw new ProtobufError('mismatched end group');
        return;
      }
    }
  }

  /** Reads the next field; nested groups are skipped. */
  next(): Field {
    const tag = this.#varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n) as WireType;
    if (field === 0) throw new ProtobufError('field number 0');
    const out: Field = { field, wire, varint: 0n, bytes: EMPTY, fixed32: 0 };
    switch (wire) {
      case WireType.Varint:
        out.varint = this.#varint();
        break;
      case WireType.Fixed64:
        this.#skip(8);
        break;
      case WireType.Fixed32: {
        this.#skip(4);
        const p = this.#pos - 4;
        const b = this.#buf;
        out.fixed32 = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        break;
      }
      case WireType.Bytes: {
        const len = this.#varint();
        if (len > BigInt(this.#end - this.#pos)) throw new ProtobufError('truncated length-delimited field');
        const start = this.#pos;
        this.#pos += Number(len);
        out.bytes = this.#buf.subarray(start, this.#pos);
        break;
      }
      case WireType.StartGroup:
        this.#skipGroup(field);
        break;
      case WireType.EndGroup:
        break;
      default:
        throw new ProtobufError(`invalid wire type ${wire}`);
    }
    return out;
  }
}

const EMPTY = new Uint8Array(0);
