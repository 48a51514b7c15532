// f32 nm: N:M format specifics (validation of corrupt blobs).
#include "test_support.h"

void test_f32_nm(void) {}
