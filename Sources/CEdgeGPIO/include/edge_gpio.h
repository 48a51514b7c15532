/*
 * edge_gpio.h: a small, version-independent C API over libgpiod, for EdgePrune's Swift code.
 *
 * The same functions are implemented twice in edge_gpio.c: once on the libgpiod v1 API
 * (libgpiod 1.6: Debian 12, Raspberry Pi OS bookworm) and once on the v2 API (libgpiod 2.x:
 * Debian 13, Raspberry Pi OS trixie). Which one is compiled is decided from <gpiod.h> itself
 * (see edge_gpio.c); this header never includes <gpiod.h>, so Swift sees one API whichever
 * library the board has.
 *
 * Conventions: every function that can fail returns 0 (or a count) on success and a negative
 * errno value on failure; objects come back through out-parameters. Nothing here is
 * thread-safe: use one chip and its requests from one thread at a time.
 */
#ifndef EDGE_GPIO_H
#define EDGE_GPIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_gpio_chip ep_gpio_chip;
typedef struct ep_gpio_request ep_gpio_request;

/* Which edges a request watches. */
enum ep_gpio_edge {
    EP_GPIO_EDGE_RISING = 1,
    EP_GPIO_EDGE_FALLING = 2,
    EP_GPIO_EDGE_BOTH = 3,
};

/* Request flags (combine with |). At most one bias flag. */
enum ep_gpio_flag {
    EP_GPIO_FLAG_ACTIVE_LOW = 1 << 0,
    EP_GPIO_FLAG_BIAS_DISABLE = 1 << 1,
    EP_GPIO_FLAG_BIAS_PULL_UP = 1 << 2,
    EP_GPIO_FLAG_BIAS_PULL_DOWN = 1 << 3,
};

/* One edge event. edge is EP_GPIO_EDGE_RISING or EP_GPIO_EDGE_FALLING. */
typedef struct ep_gpio_event {
    uint64_t timestamp_ns;
    unsigned int offset;
    int edge;
} ep_gpio_event;

/* Most lines one request may hold (libgpiod v1's bulk limit; v2 allows as many). */
#define EP_GPIO_MAX_LINES 64

/* 1 or 2: the libgpiod API major version this shim was compiled against. */
int ep_gpio_api_major(void);
/* The library's own version string, e.g. "1.6.3" (from gpiod_version_string / gpiod_api_version). */
const char *ep_gpio_library_version(void);

/* Opens a chip by name ("gpiochip0", looked up as /dev/gpiochip0) or by path ("/dev/gpiochip4"). */
int ep_gpio_chip_open(const char *name_or_path, ep_gpio_chip **out);
void ep_gpio_chip_close(ep_gpio_chip *chip);
/* The kernel's name ("gpiochip0") and label ("pinctrl-bcm2711"); valid until the chip closes. */
const char *ep_gpio_chip_name(const ep_gpio_chip *chip);
const char *ep_gpio_chip_label(const ep_gpio_chip *chip);
unsigned int ep_gpio_chip_num_lines(const ep_gpio_chip *chip);
/* The offset of the line named `name` ("GPIO17"), or a negative errno (-ENOENT: no such line). */
int ep_gpio_chip_find_line(ep_gpio_chip *chip, const char *name);

/* Requests lines as inputs, as outputs (initial_values: one 0/1 per line, may be NULL for all 0),
 * or as inputs with edge detection. `consumer` is the label the kernel shows (gpioinfo). */
int ep_gpio_request_input(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                          const char *consumer, int flags, ep_gpio_request **out);
int ep_gpio_request_output(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                           const int *initial_values, const char *consumer, int flags,
                           ep_gpio_request **out);
int ep_gpio_request_events(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                           int edge, const char *consumer, int flags, ep_gpio_request **out);

/* Logical values (0/1, after active-low) of the requested lines, in request order. */
int ep_gpio_get_values(ep_gpio_request *request, int *values);
/* Drives the requested output lines, in request order. */
int ep_gpio_set_values(ep_gpio_request *request, const int *values);

/* Waits up to timeout_ns (negative: forever) for an edge event. 1: ready, 0: timed out. */
int ep_gpio_wait_events(ep_gpio_request *request, int64_t timeout_ns);
/* Reads the pending events without blocking, at most max_events; returns how many. */
int ep_gpio_read_events(ep_gpio_request *request, ep_gpio_event *events, size_t max_events);

/* Releases the lines. Release every request before closing its chip. */
void ep_gpio_release(ep_gpio_request *request);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_GPIO_H */
