// The checkpoint tensors behind a tensor view: itself, the blocks and scales of
// an MXFP4 pair, the fused parent of a QKV component. The dry run counts the
// bytes a conversion reads with it, the progress display maps reads to layers.
import { FileTensor, SliceTensor, type Tensor } from './tensors.js';
import { Mxfp4Tensor } from './mxfp4-tensor.js';

export function fileTensors(t: Tensor | undefined): FileTensor[] {
  if (!t) return [];
  if (t instanceof FileTensor) return [t];
  if (t instanceof Mxfp4Tensor) return [t.blocks, t.scales];
  if (t instanceof SliceTensor) return fileTensors(t.parent);
  return [];
}
