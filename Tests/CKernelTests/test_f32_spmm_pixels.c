// f32 sparse weights x dense pixels (convolution in GEMM form) against a double-precision product.
#include "test_support.h"

void test_f32_spmm_pixels(void) {}
