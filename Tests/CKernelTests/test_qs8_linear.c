// int8 Linear formats and kernels against the scalar reference (bitwise) and a naive QLinear product.
#include "test_support.h"

void test_qs8_linear(void) {}
