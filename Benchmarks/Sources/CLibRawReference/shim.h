// The reference the RawIO read benchmark is quoted against: LibRaw's C API called directly,
// bypassing RawIO (no structure check, no metadata, no error mapping).
#ifndef RAW2RAW_BENCH_LIBRAW_REFERENCE_H
#define RAW2RAW_BENCH_LIBRAW_REFERENCE_H
#include <libraw/libraw.h>
#include <string.h>

/// libraw_init + libraw_open_file + libraw_unpack, then copies the visible area into `out`
/// (capacity `count` samples). Returns the number of samples copied, or a negative LibRaw code.
static inline long r2r_reference_read_visible(const char *path, unsigned short *out, long count) {
    libraw_data_t *d = libraw_init(0);
    if (!d) return -1;
    int rc = libraw_open_file(d, path);
    if (rc == 0) rc = libraw_unpack(d);
    long n = rc;
    if (rc == 0 && d->rawdata.raw_image) {
        int w = d->sizes.width, h = d->sizes.height, pitch = d->sizes.raw_pitch / 2;
        n = (long)w * h;
        if (n > count) n = -2;
        else
            for (int y = 0; y < h; y++)
                memcpy(out + (long)y * w, d->rawdata.raw_image + (long)(y + d->sizes.top_margin) * pitch + d->sizes.left_margin,
                       (size_t)w * sizeof(unsigned short));
    }
    libraw_close(d);
    return n;
}
#endif
