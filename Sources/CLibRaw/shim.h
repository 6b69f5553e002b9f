// Internal shim over LibRaw (thread-safe build, libraw_r). Provides no stable Swift API.
// Fields that do not import into Swift (e.g. color.cblack[4104]) get C accessors here.
#ifndef RAW2RAW_LIBRAW_SHIM_H
#define RAW2RAW_LIBRAW_SHIM_H
#include <libraw/libraw.h>
#include <stddef.h>

static inline unsigned r2r_filters(const libraw_data_t *d) { return d->idata.filters; }
static inline int r2r_colors(const libraw_data_t *d) { return d->idata.colors; }
static inline unsigned r2r_is_foveon(const libraw_data_t *d) { return d->idata.is_foveon; }
static inline unsigned r2r_dng_version(const libraw_data_t *d) { return d->idata.dng_version; }
static inline const char *r2r_make(const libraw_data_t *d) { return d->idata.make; }
static inline const char *r2r_model(const libraw_data_t *d) { return d->idata.model; }
static inline const char *r2r_cdesc(const libraw_data_t *d) { return d->idata.cdesc; }

static inline int r2r_raw_width(const libraw_data_t *d) { return d->sizes.raw_width; }
static inline int r2r_raw_height(const libraw_data_t *d) { return d->sizes.raw_height; }
static inline int r2r_width(const libraw_data_t *d) { return d->sizes.width; }
static inline int r2r_height(const libraw_data_t *d) { return d->sizes.height; }
static inline int r2r_top_margin(const libraw_data_t *d) { return d->sizes.top_margin; }
static inline int r2r_left_margin(const libraw_data_t *d) { return d->sizes.left_margin; }
static inline unsigned r2r_raw_pitch(const libraw_data_t *d) { return d->sizes.raw_pitch; }
static inline int r2r_flip(const libraw_data_t *d) { return d->sizes.flip; }

/// Bayer samples after libraw_unpack, or NULL when the file is not a one-sample-per-pixel raw.
static inline const unsigned short *r2r_raw_image(const libraw_data_t *d) { return d->rawdata.raw_image; }
static inline int r2r_has_color_image(const libraw_data_t *d) {
    return d->rawdata.color3_image != NULL || d->rawdata.color4_image != NULL
        || d->rawdata.float_image != NULL || d->rawdata.float3_image != NULL || d->rawdata.float4_image != NULL;
}

/// Levels as captured at unpack time (rawdata.color), as rawpy reports them.
static inline unsigned r2r_black(const libraw_data_t *d) { return d->rawdata.color.black; }
static inline unsigned r2r_cblack(const libraw_data_t *d, int i) {
    return (i >= 0 && i < LIBRAW_CBLACK_SIZE) ? d->rawdata.color.cblack[i] : 0;
}
static inline unsigned r2r_maximum(const libraw_data_t *d) { return d->rawdata.color.maximum; }
static inline float r2r_cam_mul(const libraw_data_t *d, int i) { return (i >= 0 && i < 4) ? d->rawdata.color.cam_mul[i] : 0.0f; }
static inline float r2r_as_shot_neutral(const libraw_data_t *d, int i) {
    return (i >= 0 && i < 4) ? d->rawdata.color.dng_levels.asshotneutral[i] : 0.0f;
}
static inline unsigned r2r_dng_color_parsed(const libraw_data_t *d, int k) { return (k == 0 || k == 1) ? d->rawdata.color.dng_color[k].parsedfields : 0; }
static inline unsigned r2r_dng_illuminant(const libraw_data_t *d, int k) { return (k == 0 || k == 1) ? d->rawdata.color.dng_color[k].illuminant : 0; }
static inline float r2r_dng_color_matrix(const libraw_data_t *d, int k, int row, int col) {
    if (k < 0 || k > 1 || row < 0 || row > 3 || col < 0 || col > 2) return 0.0f;
    return d->rawdata.color.dng_color[k].colormatrix[row][col];
}
static inline float r2r_iso(const libraw_data_t *d) { return d->other.iso_speed; }
static inline float r2r_shutter(const libraw_data_t *d) { return d->other.shutter; }
#endif
