// Private declarations of the f32-linear-dense kernels and format descriptors (included by config.c).
#ifndef EP_F32_LINEAR_DENSE_UKERNELS_H
#define EP_F32_LINEAR_DENSE_UKERNELS_H

#include "../ep_ukernels.h"

#endif
