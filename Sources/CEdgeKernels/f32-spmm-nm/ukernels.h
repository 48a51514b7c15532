// Private declarations of the f32-spmm-nm kernels and format descriptors (included by config.c).
#ifndef EP_F32_SPMM_NM_UKERNELS_H
#define EP_F32_SPMM_NM_UKERNELS_H

#include "../ep_ukernels.h"

#endif
