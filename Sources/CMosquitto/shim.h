#ifndef EDGEPRUNE_CMOSQUITTO_SHIM_H
#define EDGEPRUNE_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
