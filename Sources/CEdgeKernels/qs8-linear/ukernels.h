// Private declarations of the qs8-linear kernels and format descriptors (included by config.c).
#ifndef EP_QS8_LINEAR_UKERNELS_H
#define EP_QS8_LINEAR_UKERNELS_H

#include "../ep_ukernels.h"

#endif
