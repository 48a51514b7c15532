/*
 * edge_gpio.c: edge_gpio.h on libgpiod, v1 or v2.
 *
 * VERSION SWITCH. <gpiod.h> carries no version macro in either major version, so the API is
 * recognised by a macro only v1 defines: GPIOD_LINE_BULK_MAX_LINES (the bulk-request limit,
 * present from libgpiod 0.x through 1.6.x; v2 removed bulk objects and defines no macros
 * besides its include guard). Defined: the v1 implementation below is compiled; not defined:
 * the v2 one. Either can be forced with -DEP_GPIOD_FORCE_V1 or -DEP_GPIOD_FORCE_V2.
 *
 * Both implementations return negative errno values and never print.
 */
#define _GNU_SOURCE
#include "edge_gpio.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gpiod.h>

#if defined(EP_GPIOD_FORCE_V1)
#define EP_GPIOD_V1 1
#elif defined(EP_GPIOD_FORCE_V2)
#define EP_GPIOD_V2 1
#elif defined(GPIOD_LINE_BULK_MAX_LINES)
#define EP_GPIOD_V1 1
#else
#define EP_GPIOD_V2 1
#endif

/* errno after a failed library call, never 0 (some paths fail without setting it). */
static int ep_errno(void) { return errno > 0 ? errno : EIO; }

/* "gpiochip0" -> "/dev/gpiochip0"; "4" -> "/dev/gpiochip4"; anything with a '/' is a path. */
static int ep_chip_path(const char *name_or_path, char *path, size_t size) {
    if (name_or_path == NULL || name_or_path[0] == '\0') return -EINVAL;
    int n;
    if (strchr(name_or_path, '/') != NULL) {
        n = snprintf(path, size, "%s", name_or_path);
    } else if (strspn(name_or_path, "0123456789") == strlen(name_or_path)) {
        n = snprintf(path, size, "/dev/gpiochip%s", name_or_path);
    } else {
        n = snprintf(path, size, "/dev/%s", name_or_path);
    }
    return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

static int ep_check_request(const ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                            ep_gpio_request **out) {
    if (chip == NULL || offsets == NULL || out == NULL) return -EINVAL;
    if (count == 0 || count > EP_GPIO_MAX_LINES) return -EINVAL;
    return 0;
}

static int ep_bias_flags_valid(int flags) {
    int bias = flags & (EP_GPIO_FLAG_BIAS_DISABLE | EP_GPIO_FLAG_BIAS_PULL_UP | EP_GPIO_FLAG_BIAS_PULL_DOWN);
    return (bias & (bias - 1)) == 0; /* at most one bit */
}

/* Sorts events by timestamp (insertion sort: batches are small). */
static void ep_sort_events(ep_gpio_event *events, size_t count) {
    for (size_t i = 1; i < count; i++) {
        ep_gpio_event e = events[i];
        size_t j = i;
        while (j > 0 && events[j - 1].timestamp_ns > e.timestamp_ns) { events[j] = events[j - 1]; j--; }
        events[j] = e;
    }
}

#if EP_GPIOD_V1
/* ------------------------------------------------------------------ libgpiod v1 (1.x) */

struct ep_gpio_chip {
    struct gpiod_chip *chip;
};

struct ep_gpio_request {
    struct gpiod_line_bulk bulk;
    unsigned int offsets[EP_GPIO_MAX_LINES];
    size_t count;
    bool events;
};

int ep_gpio_api_major(void) { return 1; }
const char *ep_gpio_library_version(void) { return gpiod_version_string(); }

int ep_gpio_chip_open(const char *name_or_path, ep_gpio_chip **out) {
    if (out == NULL) return -EINVAL;
    *out = NULL;
    char path[256];
    int rc = ep_chip_path(name_or_path, path, sizeof path);
    if (rc < 0) return rc;
    ep_gpio_chip *c = calloc(1, sizeof *c);
    if (c == NULL) return -ENOMEM;
    errno = 0;
    c->chip = gpiod_chip_open(path);
    if (c->chip == NULL) { int e = ep_errno(); free(c); return -e; }
    *out = c;
    return 0;
}

void ep_gpio_chip_close(ep_gpio_chip *chip) {
    if (chip == NULL) return;
    gpiod_chip_close(chip->chip);
    free(chip);
}

const char *ep_gpio_chip_name(const ep_gpio_chip *chip) { return gpiod_chip_name(chip->chip); }
const char *ep_gpio_chip_label(const ep_gpio_chip *chip) { return gpiod_chip_label(chip->chip); }
unsigned int ep_gpio_chip_num_lines(const ep_gpio_chip *chip) { return gpiod_chip_num_lines(chip->chip); }

int ep_gpio_chip_find_line(ep_gpio_chip *chip, const char *name) {
    if (chip == NULL || name == NULL) return -EINVAL;
    errno = 0;
    struct gpiod_line *line = gpiod_chip_find_line(chip->chip, name);
    if (line == NULL) return errno > 0 ? -errno : -ENOENT;
    return (int)gpiod_line_offset(line);
}

static int v1_flags(int flags) {
    int f = 0;
    if (flags & EP_GPIO_FLAG_ACTIVE_LOW) f |= GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW;
    if (flags & EP_GPIO_FLAG_BIAS_DISABLE) f |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
    if (flags & EP_GPIO_FLAG_BIAS_PULL_UP) f |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
    if (flags & EP_GPIO_FLAG_BIAS_PULL_DOWN) f |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
    return f;
}

static int v1_request(ep_gpio_chip *chip, const unsigned int *offsets, size_t count, int type,
                      const int *defaults, const char *consumer, int flags, ep_gpio_request **out) {
    int rc = ep_check_request(chip, offsets, count, out);
    if (rc < 0) return rc;
    *out = NULL;
    if (!ep_bias_flags_valid(flags)) return -EINVAL;
    ep_gpio_request *r = calloc(1, sizeof *r);
    if (r == NULL) return -ENOMEM;
    memcpy(r->offsets, offsets, count * sizeof *offsets);
    r->count = count;
    gpiod_line_bulk_init(&r->bulk);
    errno = 0;
    if (gpiod_chip_get_lines(chip->chip, r->offsets, (unsigned int)count, &r->bulk) < 0) {
        int e = ep_errno(); free(r); return -e;
    }
    struct gpiod_line_request_config config = {
        .consumer = consumer != NULL ? consumer : "edgeprune",
        .request_type = type,
        .flags = v1_flags(flags),
    };
    errno = 0;
    if (gpiod_line_request_bulk(&r->bulk, &config, defaults) < 0) {
        int e = ep_errno(); free(r); return -e;
    }
    r->events = type == GPIOD_LINE_REQUEST_EVENT_RISING_EDGE || type == GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE ||
                type == GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES;
    *out = r;
    return 0;
}

int ep_gpio_request_input(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                          const char *consumer, int flags, ep_gpio_request **out) {
    return v1_request(chip, offsets, count, GPIOD_LINE_REQUEST_DIRECTION_INPUT, NULL, consumer, flags, out);
}

int ep_gpio_request_output(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                           const int *initial_values, const char *consumer, int flags,
                           ep_gpio_request **out) {
    int defaults[EP_GPIO_MAX_LINES] = {0};
    if (initial_values != NULL && count <= EP_GPIO_MAX_LINES)
        for (size_t i = 0; i < count; i++) defaults[i] = initial_values[i] != 0;
    return v1_request(chip, offsets, count, GPIOD_LINE_REQUEST_DIRECTION_OUTPUT, defaults, consumer, flags, out);
}

int ep_gpio_request_events(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                           int edge, const char *consumer, int flags, ep_gpio_request **out) {
    int type;
    switch (edge) {
    case EP_GPIO_EDGE_RISING: type = GPIOD_LINE_REQUEST_EVENT_RISING_EDGE; break;
    case EP_GPIO_EDGE_FALLING: type = GPIOD_LINE_REQUEST_EVENT_FALLING_EDGE; break;
    case EP_GPIO_EDGE_BOTH: type = GPIOD_LINE_REQUEST_EVENT_BOTH_EDGES; break;
    default: return -EINVAL;
    }
    return v1_request(chip, offsets, count, type, NULL, consumer, flags, out);
}

int ep_gpio_get_values(ep_gpio_request *request, int *values) {
    if (request == NULL || values == NULL) return -EINVAL;
    errno = 0;
    if (gpiod_line_get_value_bulk(&request->bulk, values) < 0) return -ep_errno();
    return 0;
}

int ep_gpio_set_values(ep_gpio_request *request, const int *values) {
    if (request == NULL || values == NULL) return -EINVAL;
    int v[EP_GPIO_MAX_LINES];
    for (size_t i = 0; i < request->count; i++) v[i] = values[i] != 0;
    errno = 0;
    if (gpiod_line_set_value_bulk(&request->bulk, v) < 0) return -ep_errno();
    return 0;
}

/* v1 gives every line of an event request its own file descriptor: poll them together. */
static int v1_poll(ep_gpio_request *request, struct pollfd *fds, int timeout_ms) {
    for (size_t i = 0; i < request->count; i++) {
        int fd = gpiod_line_event_get_fd(gpiod_line_bulk_get_line(&request->bulk, (unsigned int)i));
        if (fd < 0) return -ep_errno();
        fds[i].fd = fd;
        fds[i].events = POLLIN | POLLPRI;
        fds[i].revents = 0;
    }
    int n = poll(fds, (nfds_t)request->count, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -ep_errno();
    return n;
}

int ep_gpio_wait_events(ep_gpio_request *request, int64_t timeout_ns) {
    if (request == NULL || !request->events) return -EINVAL;
    struct pollfd fds[EP_GPIO_MAX_LINES];
    int timeout_ms = -1;
    if (timeout_ns >= 0) {
        int64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0); /* round up */
        timeout_ms = ms > 2147483647 ? 2147483647 : (int)ms;
    }
    int n = v1_poll(request, fds, timeout_ms);
    return n < 0 ? n : (n > 0 ? 1 : 0);
}

int ep_gpio_read_events(ep_gpio_request *request, ep_gpio_event *events, size_t max_events) {
    if (request == NULL || events == NULL || !request->events) return -EINVAL;
    size_t got = 0;
    struct pollfd fds[EP_GPIO_MAX_LINES];
    while (got < max_events) {
        int n = v1_poll(request, fds, 0);
        if (n < 0) return n;
        if (n == 0) break;
        for (size_t i = 0; i < request->count && got < max_events; i++) {
            if (!(fds[i].revents & (POLLIN | POLLPRI))) continue;
            struct gpiod_line_event ev;
            errno = 0;
            if (gpiod_line_event_read_fd(fds[i].fd, &ev) < 0) return -ep_errno();
            events[got].timestamp_ns = (uint64_t)ev.ts.tv_sec * 1000000000u + (uint64_t)ev.ts.tv_nsec;
            events[got].offset = request->offsets[i];
            events[got].edge = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? EP_GPIO_EDGE_RISING : EP_GPIO_EDGE_FALLING;
            got++;
        }
    }
    ep_sort_events(events, got);
    return (int)got;
}

void ep_gpio_release(ep_gpio_request *request) {
    if (request == NULL) return;
    gpiod_line_release_bulk(&request->bulk);
    free(request);
}

#else
/* ------------------------------------------------------------------ libgpiod v2 (2.x) */

#define EP_EVENT_BUFFER 64

struct ep_gpio_chip {
    struct gpiod_chip *chip;
    char name[64];
    char label[64];
    unsigned int num_lines;
};

struct ep_gpio_request {
    struct gpiod_line_request *request;
    struct gpiod_edge_event_buffer *buffer; /* NULL unless the request watches edges */
    unsigned int offsets[EP_GPIO_MAX_LINES];
    size_t count;
};

int ep_gpio_api_major(void) { return 2; }
const char *ep_gpio_library_version(void) { return gpiod_api_version(); }

int ep_gpio_chip_open(const char *name_or_path, ep_gpio_chip **out) {
    if (out == NULL) return -EINVAL;
    *out = NULL;
    char path[256];
    int rc = ep_chip_path(name_or_path, path, sizeof path);
    if (rc < 0) return rc;
    ep_gpio_chip *c = calloc(1, sizeof *c);
    if (c == NULL) return -ENOMEM;
    errno = 0;
    c->chip = gpiod_chip_open(path);
    if (c->chip == NULL) { int e = ep_errno(); free(c); return -e; }
    struct gpiod_chip_info *info = gpiod_chip_get_info(c->chip);
    if (info == NULL) { int e = ep_errno(); gpiod_chip_close(c->chip); free(c); return -e; }
    snprintf(c->name, sizeof c->name, "%s", gpiod_chip_info_get_name(info));
    snprintf(c->label, sizeof c->label, "%s", gpiod_chip_info_get_label(info));
    c->num_lines = (unsigned int)gpiod_chip_info_get_num_lines(info);
    gpiod_chip_info_free(info);
    *out = c;
    return 0;
}

void ep_gpio_chip_close(ep_gpio_chip *chip) {
    if (chip == NULL) return;
    gpiod_chip_close(chip->chip);
    free(chip);
}

const char *ep_gpio_chip_name(const ep_gpio_chip *chip) { return chip->name; }
const char *ep_gpio_chip_label(const ep_gpio_chip *chip) { return chip->label; }
unsigned int ep_gpio_chip_num_lines(const ep_gpio_chip *chip) { return chip->num_lines; }

int ep_gpio_chip_find_line(ep_gpio_chip *chip, const char *name) {
    if (chip == NULL || name == NULL) return -EINVAL;
    errno = 0;
    int offset = gpiod_chip_get_line_offset_from_name(chip->chip, name);
    if (offset < 0) return errno > 0 ? -errno : -ENOENT;
    return offset;
}

/* direction: GPIOD_LINE_DIRECTION_*; edge: 0 or EP_GPIO_EDGE_*; initial: per-line outputs or NULL. */
static int v2_request(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                      enum gpiod_line_direction direction, int edge, const int *initial,
                      const char *consumer, int flags, ep_gpio_request **out) {
    int rc = ep_check_request(chip, offsets, count, out);
    if (rc < 0) return rc;
    *out = NULL;
    if (!ep_bias_flags_valid(flags)) return -EINVAL;
    ep_gpio_request *r = calloc(1, sizeof *r);
    struct gpiod_line_settings *settings = gpiod_line_settings_new();
    struct gpiod_line_config *line_config = gpiod_line_config_new();
    struct gpiod_request_config *request_config = gpiod_request_config_new();
    if (r == NULL || settings == NULL || line_config == NULL || request_config == NULL) { rc = -ENOMEM; goto done; }
    memcpy(r->offsets, offsets, count * sizeof *offsets);
    r->count = count;

    errno = 0;
    if (gpiod_line_settings_set_direction(settings, direction) < 0) { rc = -ep_errno(); goto done; }
    if (edge != 0) {
        enum gpiod_line_edge e = edge == EP_GPIO_EDGE_RISING ? GPIOD_LINE_EDGE_RISING
                               : edge == EP_GPIO_EDGE_FALLING ? GPIOD_LINE_EDGE_FALLING : GPIOD_LINE_EDGE_BOTH;
        if (gpiod_line_settings_set_edge_detection(settings, e) < 0) { rc = -ep_errno(); goto done; }
    }
    enum gpiod_line_bias bias = GPIOD_LINE_BIAS_AS_IS;
    if (flags & EP_GPIO_FLAG_BIAS_DISABLE) bias = GPIOD_LINE_BIAS_DISABLED;
    if (flags & EP_GPIO_FLAG_BIAS_PULL_UP) bias = GPIOD_LINE_BIAS_PULL_UP;
    if (flags & EP_GPIO_FLAG_BIAS_PULL_DOWN) bias = GPIOD_LINE_BIAS_PULL_DOWN;
    if (gpiod_line_settings_set_bias(settings, bias) < 0) { rc = -ep_errno(); goto done; }
    gpiod_line_settings_set_active_low(settings, (flags & EP_GPIO_FLAG_ACTIVE_LOW) != 0);

    if (direction == GPIOD_LINE_DIRECTION_OUTPUT) {
        /* One settings entry per line, so each line starts at its own value (the config copies). */
        for (size_t i = 0; i < count; i++) {
            enum gpiod_line_value v = (initial != NULL && initial[i] != 0) ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
            if (gpiod_line_settings_set_output_value(settings, v) < 0 ||
                gpiod_line_config_add_line_settings(line_config, &r->offsets[i], 1, settings) < 0) {
                rc = -ep_errno(); goto done;
            }
        }
    } else if (gpiod_line_config_add_line_settings(line_config, r->offsets, count, settings) < 0) {
        rc = -ep_errno(); goto done;
    }
    gpiod_request_config_set_consumer(request_config, consumer != NULL ? consumer : "edgeprune");
    errno = 0;
    r->request = gpiod_chip_request_lines(chip->chip, request_config, line_config);
    if (r->request == NULL) { rc = -ep_errno(); goto done; }
    if (edge != 0) {
        r->buffer = gpiod_edge_event_buffer_new(EP_EVENT_BUFFER);
        if (r->buffer == NULL) { rc = -ENOMEM; goto done; }
    }
    *out = r;
    r = NULL;
    rc = 0;
done:
    if (r != NULL) {
        if (r->request != NULL) gpiod_line_request_release(r->request);
        if (r->buffer != NULL) gpiod_edge_event_buffer_free(r->buffer);
        free(r);
    }
    if (settings != NULL) gpiod_line_settings_free(settings);
    if (line_config != NULL) gpiod_line_config_free(line_config);
    if (request_config != NULL) gpiod_request_config_free(request_config);
    return rc;
}

int ep_gpio_request_input(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                          const char *consumer, int flags, ep_gpio_request **out) {
    return v2_request(chip, offsets, count, GPIOD_LINE_DIRECTION_INPUT, 0, NULL, consumer, flags, out);
}

int ep_gpio_request_output(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                           const int *initial_values, const char *consumer, int flags,
                           ep_gpio_request **out) {
    return v2_request(chip, offsets, count, GPIOD_LINE_DIRECTION_OUTPUT, 0, initial_values, consumer, flags, out);
}

int ep_gpio_request_events(ep_gpio_chip *chip, const unsigned int *offsets, size_t count,
                           int edge, const char *consumer, int flags, ep_gpio_request **out) {
    if (edge != EP_GPIO_EDGE_RISING && edge != EP_GPIO_EDGE_FALLING && edge != EP_GPIO_EDGE_BOTH) return -EINVAL;
    return v2_request(chip, offsets, count, GPIOD_LINE_DIRECTION_INPUT, edge, NULL, consumer, flags, out);
}

int ep_gpio_get_values(ep_gpio_request *request, int *values) {
    if (request == NULL || values == NULL) return -EINVAL;
    enum gpiod_line_value v[EP_GPIO_MAX_LINES];
    errno = 0;
    if (gpiod_line_request_get_values_subset(request->request, request->count, request->offsets, v) < 0)
        return -ep_errno();
    for (size_t i = 0; i < request->count; i++) values[i] = v[i] == GPIOD_LINE_VALUE_ACTIVE;
    return 0;
}

int ep_gpio_set_values(ep_gpio_request *request, const int *values) {
    if (request == NULL || values == NULL) return -EINVAL;
    enum gpiod_line_value v[EP_GPIO_MAX_LINES];
    for (size_t i = 0; i < request->count; i++) v[i] = values[i] != 0 ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
    errno = 0;
    if (gpiod_line_request_set_values_subset(request->request, request->count, request->offsets, v) < 0)
        return -ep_errno();
    return 0;
}

int ep_gpio_wait_events(ep_gpio_request *request, int64_t timeout_ns) {
    if (request == NULL || request->buffer == NULL) return -EINVAL;
    errno = 0;
    int rc = gpiod_line_request_wait_edge_events(request->request, timeout_ns);
    if (rc < 0) return errno == EINTR ? 0 : -ep_errno();
    return rc > 0 ? 1 : 0;
}

int ep_gpio_read_events(ep_gpio_request *request, ep_gpio_event *events, size_t max_events) {
    if (request == NULL || events == NULL || request->buffer == NULL) return -EINVAL;
    size_t got = 0;
    while (got < max_events) {
        /* read_edge_events blocks when nothing is queued: look first. */
        errno = 0;
        int ready = gpiod_line_request_wait_edge_events(request->request, 0);
        if (ready < 0) return errno == EINTR ? (int)got : -ep_errno();
        if (ready == 0) break;
        size_t want = max_events - got < EP_EVENT_BUFFER ? max_events - got : EP_EVENT_BUFFER;
        int n = gpiod_line_request_read_edge_events(request->request, request->buffer, want);
        if (n < 0) return -ep_errno();
        for (int i = 0; i < n; i++) {
            struct gpiod_edge_event *ev = gpiod_edge_event_buffer_get_event(request->buffer, (unsigned long)i);
            events[got].timestamp_ns = gpiod_edge_event_get_timestamp_ns(ev);
            events[got].offset = gpiod_edge_event_get_line_offset(ev);
            events[got].edge = gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE
                ? EP_GPIO_EDGE_RISING : EP_GPIO_EDGE_FALLING;
            got++;
        }
        if (n == 0) break;
    }
    ep_sort_events(events, got);
    return (int)got;
}

void ep_gpio_release(ep_gpio_request *request) {
    if (request == NULL) return;
    gpiod_line_request_release(request->request);
    if (request->buffer != NULL) gpiod_edge_event_buffer_free(request->buffer);
    free(request);
}

#endif
