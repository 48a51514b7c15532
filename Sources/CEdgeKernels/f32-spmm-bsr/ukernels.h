// Private declarations of the f32-spmm-bsr kernels and format descriptors (included by config.c).
#ifndef EP_F32_SPMM_BSR_UKERNELS_H
#define EP_F32_SPMM_BSR_UKERNELS_H

#include "../ep_ukernels.h"

#endif
