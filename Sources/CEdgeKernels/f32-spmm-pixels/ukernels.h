// Private declarations of the f32-spmm-pixels kernels and format descriptors (included by config.c).
#ifndef EP_F32_SPMM_PIXELS_UKERNELS_H
#define EP_F32_SPMM_PIXELS_UKERNELS_H

#include "../ep_ukernels.h"

#endif
