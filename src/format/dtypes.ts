// Sera array dtype codes (FORMAT.md §2.3). Code 10 (u64) is the reference's addition.

export type SeraDtype = 'f64' | 'f32' | 'i32' | 'i16' | 'i8' | 'u8' | 'q8_8' | 'q4_12' | 'bf16' | 'u64';

export const DTYPE_CODES: Record<SeraDtype, number> = {
  f64: 1, f32: 2, i32: 3, i16: 4, i8: 5, u8: 6, q8_8: 7, q4_12: 8, bf16: 9, u64: 10,
};

export const DTYPE_SIZES: Record<SeraDtype, number> = {
  f64: 8, f32: 4, i32: 4, i16: 2, i8: 1, u8: 1, q8_8: 2, q4_12: 2, bf16: 2, u64: 8,
};

const BY_CODE = new Map<number, SeraDtype>(
  (Object.entries(DTYPE_CODES) as [SeraDtype, number][]).map(([n, c]) => [c, n]),
);

export function dtypeFromCode(code: number): SeraDtype | undefined {
  return BY_CODE.get(code);
}
