/*
 * dsg_config.h -- the kernel library's scratch sizes.  This copy keeps the library defaults (the
 * #ifndef blocks in the family sources); `dsgen compile` writes a generated tree's own copy that
 * sizes every scratch buffer to the largest need of that model's layers instead of a global
 * maximum (docs/architecture.md, "Scratch and in-place execution"):
 *   DSG_KMAX     longest GEMM dot product (dsg_conv.c: 3*DSG_KMAX words + 6*DSG_KMAX bytes)
 *   DSG_WPAD     bytes of padded weight rows of a GEMM whose k % 4 != 0
 *   DSG_DW_WMAX  longest 3x3 depthwise line on DSP cores (dsg_depthwise.c: the int16 planes)
 *   DSG_DW_RING  bytes of the row ring of an in-place 3x3 depthwise's fallback path
 *   DSG_PW_RING  bytes of the one-pixel output buffer of an in-place pointwise's fallback path
 */
#ifndef DSG_CONFIG_H
#define DSG_CONFIG_H
#endif /* DSG_CONFIG_H */
