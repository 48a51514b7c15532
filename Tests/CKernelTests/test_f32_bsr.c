// f32 bsr: block-sparse format specifics (validation of corrupt blobs).
#include "test_support.h"

void test_f32_bsr(void) {}
