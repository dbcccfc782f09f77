/* Version-independent core of physics_twin's FMUs: one instance of a pt_model with its modes, values, the
 * co-simulation RK4 and FMU-state (de)serialization. pt_fmi2.c and pt_fmi3.c translate the FMI calls to it. */
#ifndef PT_CORE_H
#define PT_CORE_H

#include <stddef.h>

#include "pt_model.h"

/* Every FMI function has the standard's signature, and many ignore some of their arguments. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif

/* Same numbering as fmi2Status and fmi3Status (OK, Warning, Discard, Error, Fatal). */
typedef enum { PT_OK = 0, PT_WARNING = 1, PT_DISCARD = 2, PT_ERROR = 3, PT_FATAL = 4 } pt_status;

typedef enum { PT_CO_SIMULATION = 0, PT_MODEL_EXCHANGE = 1 } pt_interface;

typedef enum {
    PT_MODE_INSTANTIATED = 0,
    PT_MODE_INITIALIZATION,
    PT_MODE_STEP,           /* co-simulation between steps */
    PT_MODE_EVENT,          /* model exchange */
    PT_MODE_CONTINUOUS,     /* model exchange */
    PT_MODE_TERMINATED,
    PT_MODE_ERROR,
    PT_MODE_COUNT
} pt_mode;

typedef enum {
    PT_VR_TIME,
    PT_VR_PARAMETER,
    PT_VR_SOLVER_STEP,
    PT_VR_INPUT,
    PT_VR_STATE,
    PT_VR_DERIVATIVE,
    PT_VR_OUTPUT,
    PT_VR_UNKNOWN
} pt_kind;

/* An FMU state: the serialized bytes themselves, so copying, serializing and deserializing share one format. The
 * instance keeps its states in a list and frees those the importer did not free when the instance is freed. */
typedef struct pt_state {
    struct pt_state *previous, *next;
    size_t size;
    unsigned char bytes[];
} pt_state;

typedef void (*pt_log_function)(void *glue, pt_status status, const char *category, const char *message);

typedef struct {
    const pt_model *model;
    pt_interface interface;
    pt_mode mode;
    double time;
    double rk4_max_step;
    double *x, *u, *p, *dx, *y, *work;
    int derivatives_valid, outputs_valid;
    int logging_on;
    char *name;
    pt_log_function log;
    void *glue;
    void *(*allocate)(size_t count, size_t size);
    void (*release)(void *pointer);
    pt_state *states; /* FMU states not yet freed */
} pt_instance;


pt_instance *pt_instantiate(const pt_model *model, const char *name, const char *token, pt_interface interface,
                            int logging_on, pt_log_function log, void *glue,
                            void *(*allocate)(size_t, size_t), void (*release)(void *));
void pt_free(pt_instance *instance);
void pt_reset(pt_instance *instance);

void pt_log(pt_instance *instance, pt_status status, const char *format, ...);
pt_status pt_check_mode(pt_instance *instance, const char *function, unsigned allowed_modes);
#define PT_MASK(mode) (1u << (mode))

pt_kind pt_classify(const pt_model *model, unsigned vr, int *index);
pt_status pt_get(pt_instance *instance, const unsigned *vrs, size_t n, double *values);
pt_status pt_set(pt_instance *instance, const unsigned *vrs, size_t n, const double *values);

pt_status pt_enter_initialization(pt_instance *instance, double start_time);
pt_status pt_exit_initialization(pt_instance *instance);
pt_status pt_do_step(pt_instance *instance, double current_time, double step_size);

pt_status pt_set_time(pt_instance *instance, double time);
pt_status pt_set_states(pt_instance *instance, const double *x, size_t n);
pt_status pt_get_states(pt_instance *instance, double *x, size_t n);
pt_status pt_get_derivatives(pt_instance *instance, double *dx, size_t n);
pt_status pt_get_nominals(pt_instance *instance, double *nominals, size_t n);

size_t pt_state_size(const pt_model *model);
pt_status pt_state_get(pt_instance *instance, pt_state **state);
pt_status pt_state_set(pt_instance *instance, const pt_state *state);
pt_status pt_state_free(pt_instance *instance, pt_state **state);
pt_status pt_state_serialize(pt_instance *instance, const pt_state *state, unsigned char *bytes, size_t size);
pt_status pt_state_deserialize(pt_instance *instance, const unsigned char *bytes, size_t size, pt_state **state);

#endif
