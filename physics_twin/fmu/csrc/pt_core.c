/* Version-independent core of physics_twin's FMUs; see pt_core.h. Plain C99, no global state. */
#include "pt_core.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const MODE_NAMES[PT_MODE_COUNT] = {
    "Instantiated", "Initialization Mode", "Step Mode", "Event Mode", "Continuous-Time Mode", "Terminated", "Error",
};

#define PT_STATE_MAGIC "PTFMUS01"
#define PT_STATE_VERSION 1u

typedef struct {
    char magic[8];
    uint32_t version, nx, nu, np, interface, mode;
    uint64_t token_hash;
    double time, rk4_max_step;
} pt_state_header;

/* 64-bit FNV-1a of the instantiation token: a state saved by another FMU is refused. */
static uint64_t hash_token(const char *text) {
    uint64_t hash = 14695981039346656037ull;
    for (const unsigned char *c = (const unsigned char *)text; *c; ++c) {
        hash ^= *c;
        hash *= 1099511628211ull;
    }
    return hash;
}

void pt_log(pt_instance *instance, pt_status status, const char *format, ...) {
    if (!instance || !instance->log || (status == PT_OK && !instance->logging_on)) return;
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    const char *category = status >= PT_ERROR ? "logStatusError" : status == PT_WARNING ? "logStatusWarning" : "logEvents";
    instance->log(instance->glue, status, category, message);
}

pt_status pt_check_mode(pt_instance *instance, const char *function, unsigned allowed_modes) {
    if (!instance) return PT_ERROR;
    if (allowed_modes & PT_MASK(instance->mode)) return PT_OK;
    pt_log(instance, PT_ERROR, "%s must not be called in %s.", function, MODE_NAMES[instance->mode]);
    return PT_ERROR;
}

pt_instance *pt_instantiate(const pt_model *model, const char *name, const char *token, pt_interface interface,
                            int logging_on, pt_log_function log, void *glue,
                            void *(*allocate)(size_t, size_t), void (*release)(void *)) {
    pt_instance probe = {0};
    probe.log = log;
    probe.glue = glue;
    if (!token || strcmp(token, model->instantiation_token) != 0) {
        pt_log(&probe, PT_ERROR, "instantiation token %s does not match this FMU's %s (the modelDescription.xml "
               "belongs to another build).", token ? token : "(null)", model->instantiation_token);
        return NULL;
    }
    size_t n_doubles = (size_t)(model->nx + model->nu + model->np + model->nx + model->ny + 5 * model->nx) + 1;
    size_t name_length = strlen(name ? name : "") + 1;
    pt_instance *instance = allocate(1, sizeof *instance);
    double *values = allocate(n_doubles, sizeof(double));
    char *copy = allocate(name_length, 1);
    if (!instance || !values || !copy) {
        if (instance) release(instance);
        if (values) release(values);
        if (copy) release(copy);
        pt_log(&probe, PT_FATAL, "out of memory while instantiating %s.", model->name);
        return NULL;
    }
    memcpy(copy, name ? name : "", name_length);
    instance->model = model;
    instance->interface = interface;
    instance->logging_on = logging_on;
    instance->name = copy;
    instance->log = log;
    instance->glue = glue;
    instance->allocate = allocate;
    instance->release = release;
    instance->states = NULL;
    instance->x = values;
    instance->u = instance->x + model->nx;
    instance->p = instance->u + model->nu;
    instance->dx = instance->p + model->np;
    instance->y = instance->dx + model->nx;
    instance->work = instance->y + model->ny;
    pt_reset(instance);
    return instance;
}

void pt_free(pt_instance *instance) {
    if (!instance) return;
    void (*release)(void *) = instance->release;
    while (instance->states) {
        pt_state *next = instance->states->next;
        release(instance->states);
        instance->states = next;
    }
    release(instance->x);
    release(instance->name);
    release(instance);
}

void pt_reset(pt_instance *instance) {
    const pt_model *m = instance->model;
    if (m->nx) memcpy(instance->x, m->x_start, (size_t)m->nx * sizeof(double));
    if (m->nu) memcpy(instance->u, m->u_start, (size_t)m->nu * sizeof(double));
    if (m->np) memcpy(instance->p, m->p_start, (size_t)m->np * sizeof(double));
    instance->rk4_max_step = m->rk4_max_step_start;
    instance->time = 0.0;
    instance->mode = PT_MODE_INSTANTIATED;
    instance->derivatives_valid = instance->outputs_valid = 0;
}

pt_kind pt_classify(const pt_model *m, unsigned vr, int *index) {
    long v = (long)vr;
    long bounds[] = {1, 1 + m->np, 2 + m->np, 2 + m->np + m->nu, 2 + m->np + m->nu + m->nx,
                     2 + m->np + m->nu + 2 * m->nx, 2 + m->np + m->nu + 2 * m->nx + m->ny};
    static const pt_kind kinds[] = {PT_VR_TIME, PT_VR_PARAMETER, PT_VR_SOLVER_STEP, PT_VR_INPUT,
                                    PT_VR_STATE, PT_VR_DERIVATIVE, PT_VR_OUTPUT};
    long start = 0;
    for (int k = 0; k < 7; ++k) {
        if (v < bounds[k]) {
            *index = (int)(v - start);
            return kinds[k];
        }
        start = bounds[k];
    }
    *index = -1;
    return PT_VR_UNKNOWN;
}

static void update_derivatives(pt_instance *instance) {
    if (!instance->derivatives_valid) {
        const pt_model *m = instance->model;
        if (m->nx) m->rhs(instance->time, instance->x, instance->u, instance->p, instance->dx);
        instance->derivatives_valid = 1;
    }
}

static void update_outputs(pt_instance *instance) {
    if (!instance->outputs_valid) {
        const pt_model *m = instance->model;
        if (m->ny) m->output(instance->time, instance->x, instance->u, instance->p, instance->y);
        instance->outputs_valid = 1;
    }
}

static void invalidate(pt_instance *instance) { instance->derivatives_valid = instance->outputs_valid = 0; }

pt_status pt_get(pt_instance *instance, const unsigned *vrs, size_t n, double *values) {
    if (pt_check_mode(instance, "a getter", ~PT_MASK(PT_MODE_INSTANTIATED)) != PT_OK) return PT_ERROR;
    for (size_t k = 0; k < n; ++k) {
        int index;
        switch (pt_classify(instance->model, vrs[k], &index)) {
            case PT_VR_TIME: values[k] = instance->time; break;
            case PT_VR_PARAMETER: values[k] = instance->p[index]; break;
            case PT_VR_SOLVER_STEP: values[k] = instance->rk4_max_step; break;
            case PT_VR_INPUT: values[k] = instance->u[index]; break;
            case PT_VR_STATE: values[k] = instance->x[index]; break;
            case PT_VR_DERIVATIVE: update_derivatives(instance); values[k] = instance->dx[index]; break;
            case PT_VR_OUTPUT: update_outputs(instance); values[k] = instance->y[index]; break;
            default:
                pt_log(instance, PT_ERROR, "unknown value reference %u of a Float64/Real variable.", vrs[k]);
                return PT_ERROR;
        }
    }
    return PT_OK;
}

/* Bounds of one parameter; the message names the variable, the range and the value. */
static pt_status check_parameter_value(pt_instance *instance, unsigned vr, int index, double value) {
    const pt_model *m = instance->model;
    if (!isfinite(value) || value < m->p_min[index] || value > m->p_max[index]) {
        pt_log(instance, PT_ERROR, "`%s` must be finite and within [%.17g, %.17g]; got %.17g.",
               m->variable_names[vr], m->p_min[index], m->p_max[index], value);
        return PT_ERROR;
    }
    return PT_OK;
}

static pt_status check_parameter_combination(pt_instance *instance) {
    const pt_model *m = instance->model;
    char message[768] = "";
    if (m->check && m->check(instance->p, message, sizeof message) > 0) {
        pt_log(instance, PT_ERROR, "invalid parameters of %s: %s", m->name, message);
        return PT_ERROR;
    }
    return PT_OK;
}

pt_status pt_set(pt_instance *instance, const unsigned *vrs, size_t n, const double *values) {
    const unsigned before_start = PT_MASK(PT_MODE_INSTANTIATED) | PT_MASK(PT_MODE_INITIALIZATION);
    const unsigned tunable = before_start | PT_MASK(PT_MODE_STEP) | PT_MASK(PT_MODE_EVENT);
    const unsigned running = tunable | PT_MASK(PT_MODE_CONTINUOUS);
    if (pt_check_mode(instance, "a setter", running) != PT_OK) return PT_ERROR;
    const pt_model *m = instance->model;
    for (size_t k = 0; k < n; ++k) {
        int index;
        pt_kind kind = pt_classify(m, vrs[k], &index);
        double value = values[k];
        const char *name = kind == PT_VR_UNKNOWN ? "?" : m->variable_names[vrs[k]];
        switch (kind) {
            case PT_VR_PARAMETER: {
                if (!(PT_MASK(instance->mode) & tunable)) {
                    pt_log(instance, PT_ERROR, "tunable parameter `%s` may change only in Event Mode or Step Mode, "
                           "not in %s.", name, MODE_NAMES[instance->mode]);
                    return PT_ERROR;
                }
                if (check_parameter_value(instance, vrs[k], index, value) != PT_OK) return PT_ERROR;
                double previous = instance->p[index];
                instance->p[index] = value;
                if (!(PT_MASK(instance->mode) & before_start) && check_parameter_combination(instance) != PT_OK) {
                    instance->p[index] = previous;
                    return PT_ERROR;
                }
                break;
            }
            case PT_VR_SOLVER_STEP:
                if (!(PT_MASK(instance->mode) & before_start)) {
                    pt_log(instance, PT_ERROR, "fixed parameter `%s` may be set only before initialization ends.", name);
                    return PT_ERROR;
                }
                if (!isfinite(value) || value <= 0.0) {
                    pt_log(instance, PT_ERROR, "`%s` must be finite and > 0 s; got %.17g.", name, value);
                    return PT_ERROR;
                }
                instance->rk4_max_step = value;
                break;
            case PT_VR_INPUT:
                if (!isfinite(value)) {
                    pt_log(instance, PT_ERROR, "input `%s` must be finite; got %.17g at t = %.17g s.", name, value,
                           instance->time);
                    return PT_ERROR;
                }
                instance->u[index] = value;
                break;
            case PT_VR_STATE:
                if (!(PT_MASK(instance->mode) & before_start)) {
                    pt_log(instance, PT_ERROR, "the start value of state `%s` may be set only before initialization "
                           "ends (model exchange sets states with fmiSetContinuousStates).", name);
                    return PT_ERROR;
                }
                if (!isfinite(value)) {
                    pt_log(instance, PT_ERROR, "start value of `%s` must be finite; got %.17g.", name, value);
                    return PT_ERROR;
                }
                instance->x[index] = value;
                break;
            case PT_VR_TIME:
            case PT_VR_DERIVATIVE:
            case PT_VR_OUTPUT:
                pt_log(instance, PT_ERROR, "variable `%s` (value reference %u) is calculated and cannot be set.", name,
                       vrs[k]);
                return PT_ERROR;
            default:
                pt_log(instance, PT_ERROR, "unknown value reference %u of a Float64/Real variable.", vrs[k]);
                return PT_ERROR;
        }
    }
    invalidate(instance);
    return PT_OK;
}

pt_status pt_enter_initialization(pt_instance *instance, double start_time) {
    if (pt_check_mode(instance, "EnterInitializationMode", PT_MASK(PT_MODE_INSTANTIATED)) != PT_OK) return PT_ERROR;
    if (!isfinite(start_time)) {
        pt_log(instance, PT_ERROR, "start time must be finite; got %.17g.", start_time);
        return PT_ERROR;
    }
    instance->time = start_time;
    instance->mode = PT_MODE_INITIALIZATION;
    invalidate(instance);
    return PT_OK;
}

pt_status pt_exit_initialization(pt_instance *instance) {
    if (pt_check_mode(instance, "ExitInitializationMode", PT_MASK(PT_MODE_INITIALIZATION)) != PT_OK) return PT_ERROR;
    if (check_parameter_combination(instance) != PT_OK) return PT_ERROR;
    instance->mode = instance->interface == PT_CO_SIMULATION ? PT_MODE_STEP : PT_MODE_EVENT;
    return PT_OK;
}

static int all_finite(const double *values, int n) {
    for (int k = 0; k < n; ++k) {
        if (!isfinite(values[k])) return 0;
    }
    return 1;
}

/* One classical Runge-Kutta step of size h from (t, x) with the inputs held; writes the new state into x. */
static void rk4_step(pt_instance *instance, double t, double h) {
    const pt_model *m = instance->model;
    int n = m->nx;
    double *k1 = instance->work, *k2 = k1 + n, *k3 = k2 + n, *k4 = k3 + n, *xt = k4 + n;
    const double *u = instance->u, *p = instance->p;
    double *x = instance->x;
    m->rhs(t, x, u, p, k1);
    for (int i = 0; i < n; ++i) xt[i] = x[i] + 0.5 * h * k1[i];
    m->rhs(t + 0.5 * h, xt, u, p, k2);
    for (int i = 0; i < n; ++i) xt[i] = x[i] + 0.5 * h * k2[i];
    m->rhs(t + 0.5 * h, xt, u, p, k3);
    for (int i = 0; i < n; ++i) xt[i] = x[i] + h * k3[i];
    m->rhs(t + h, xt, u, p, k4);
    for (int i = 0; i < n; ++i) x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

pt_status pt_do_step(pt_instance *instance, double current_time, double step_size) {
    if (pt_check_mode(instance, "DoStep", PT_MASK(PT_MODE_STEP)) != PT_OK) return PT_ERROR;
    double tolerance = 1e-9 * fmax(1.0, fabs(instance->time));
    if (fabs(current_time - instance->time) > tolerance) {
        pt_log(instance, PT_ERROR, "DoStep from t = %.17g s, but the FMU is at t = %.17g s (steps must be contiguous; "
               "restore an FMU state to go back).", current_time, instance->time);
        return PT_ERROR;
    }
    if (!isfinite(step_size) || step_size <= 0.0) {
        pt_log(instance, PT_ERROR, "communication step size must be finite and > 0 s; got %.17g.", step_size);
        return PT_ERROR;
    }
    double count = ceil(step_size / instance->rk4_max_step * (1.0 - 1e-12));
    if (count > 1e9) {
        pt_log(instance, PT_ERROR, "a step of %.6g s needs %.3g RK4 sub-steps of at most rk4_max_step = %.6g s; "
               "raise rk4_max_step or take shorter communication steps.", step_size, count, instance->rk4_max_step);
        return PT_ERROR;
    }
    long substeps = count < 1.0 ? 1 : (long)count;
    double h = step_size / (double)substeps;
    for (long k = 0; k < substeps; ++k) {
        double t = current_time + (double)k * h; /* integer multiples: no drifting sum */
        rk4_step(instance, t, h);
        if (!all_finite(instance->x, instance->model->nx)) {
            pt_log(instance, PT_ERROR, "the state of %s is no longer finite after t = %.17g s; check the parameters, "
                   "the inputs and rk4_max_step (%.6g s; RK4 needs it below 2.8/|fastest eigenvalue|).",
                   instance->model->name, t + h, instance->rk4_max_step);
            instance->mode = PT_MODE_ERROR;
            return PT_ERROR;
        }
    }
    instance->time = current_time + step_size;
    invalidate(instance);
    return PT_OK;
}

pt_status pt_set_time(pt_instance *instance, double time) {
    unsigned allowed = PT_MASK(PT_MODE_EVENT) | PT_MASK(PT_MODE_CONTINUOUS);
    if (pt_check_mode(instance, "SetTime", allowed) != PT_OK) return PT_ERROR;
    instance->time = time;
    invalidate(instance);
    return PT_OK;
}

static pt_status check_count(pt_instance *instance, const char *function, size_t n) {
    if (n == (size_t)instance->model->nx) return PT_OK;
    pt_log(instance, PT_ERROR, "%s: this FMU has %d continuous states; got %zu.", function, instance->model->nx, n);
    return PT_ERROR;
}

pt_status pt_set_states(pt_instance *instance, const double *x, size_t n) {
    unsigned allowed = PT_MASK(PT_MODE_EVENT) | PT_MASK(PT_MODE_CONTINUOUS);
    if (pt_check_mode(instance, "SetContinuousStates", allowed) != PT_OK) return PT_ERROR;
    if (check_count(instance, "SetContinuousStates", n) != PT_OK) return PT_ERROR;
    if (n) memcpy(instance->x, x, n * sizeof(double));
    invalidate(instance);
    return PT_OK;
}

pt_status pt_get_states(pt_instance *instance, double *x, size_t n) {
    unsigned allowed = PT_MASK(PT_MODE_INITIALIZATION) | PT_MASK(PT_MODE_EVENT) | PT_MASK(PT_MODE_CONTINUOUS) |
                       PT_MASK(PT_MODE_TERMINATED);
    if (pt_check_mode(instance, "GetContinuousStates", allowed) != PT_OK) return PT_ERROR;
    if (check_count(instance, "GetContinuousStates", n) != PT_OK) return PT_ERROR;
    if (n) memcpy(x, instance->x, n * sizeof(double));
    return PT_OK;
}

pt_status pt_get_derivatives(pt_instance *instance, double *dx, size_t n) {
    unsigned allowed = PT_MASK(PT_MODE_INITIALIZATION) | PT_MASK(PT_MODE_EVENT) | PT_MASK(PT_MODE_CONTINUOUS) |
                       PT_MASK(PT_MODE_TERMINATED);
    if (pt_check_mode(instance, "GetDerivatives", allowed) != PT_OK) return PT_ERROR;
    if (check_count(instance, "GetDerivatives", n) != PT_OK) return PT_ERROR;
    update_derivatives(instance);
    if (!all_finite(instance->dx, instance->model->nx)) {
        pt_log(instance, PT_ERROR, "the derivative of %s is not finite at t = %.17g s; check the parameters and "
               "inputs.", instance->model->name, instance->time);
        return PT_ERROR;
    }
    if (n) memcpy(dx, instance->dx, n * sizeof(double));
    return PT_OK;
}

pt_status pt_get_nominals(pt_instance *instance, double *nominals, size_t n) {
    if (pt_check_mode(instance, "GetNominalsOfContinuousStates", ~PT_MASK(PT_MODE_ERROR)) != PT_OK) return PT_ERROR;
    if (check_count(instance, "GetNominalsOfContinuousStates", n) != PT_OK) return PT_ERROR;
    for (size_t k = 0; k < n; ++k) nominals[k] = 1.0;
    return PT_OK;
}

/* ---- FMU states ------------------------------------------------------------------------------------------ */

size_t pt_state_size(const pt_model *m) {
    return sizeof(pt_state_header) + (size_t)(m->nx + m->nu + m->np) * sizeof(double);
}

static void write_state(const pt_instance *instance, unsigned char *bytes) {
    const pt_model *m = instance->model;
    pt_state_header header;
    memset(&header, 0, sizeof header);
    memcpy(header.magic, PT_STATE_MAGIC, 8);
    header.version = PT_STATE_VERSION;
    header.nx = (uint32_t)m->nx;
    header.nu = (uint32_t)m->nu;
    header.np = (uint32_t)m->np;
    header.interface = (uint32_t)instance->interface;
    header.mode = (uint32_t)instance->mode;
    header.token_hash = hash_token(m->instantiation_token);
    header.time = instance->time;
    header.rk4_max_step = instance->rk4_max_step;
    memcpy(bytes, &header, sizeof header);
    unsigned char *cursor = bytes + sizeof header;
    memcpy(cursor, instance->x, (size_t)m->nx * sizeof(double));
    cursor += (size_t)m->nx * sizeof(double);
    memcpy(cursor, instance->u, (size_t)m->nu * sizeof(double));
    cursor += (size_t)m->nu * sizeof(double);
    memcpy(cursor, instance->p, (size_t)m->np * sizeof(double));
}

/* Checks that `bytes` is a state of this very FMU and interface; the message says why it is not portable. */
static pt_status check_state(pt_instance *instance, const unsigned char *bytes, size_t size) {
    const pt_model *m = instance->model;
    size_t expected = pt_state_size(m);
    pt_state_header header;
    if (size < sizeof header || memcmp(bytes, PT_STATE_MAGIC, 8) != 0) {
        pt_log(instance, PT_ERROR, "the serialized FMU state (%zu bytes) was not written by a physics_twin FMU; it "
               "cannot be restored here.", size);
        return PT_ERROR;
    }
    memcpy(&header, bytes, sizeof header);
    if (header.version != PT_STATE_VERSION || header.token_hash != hash_token(m->instantiation_token) ||
        size != expected || header.nx != (uint32_t)m->nx || header.nu != (uint32_t)m->nu ||
        header.np != (uint32_t)m->np) {
        pt_log(instance, PT_ERROR, "the serialized FMU state belongs to another FMU or build (format %u, %zu bytes, "
               "expected format %u, %zu bytes, and this FMU's instantiation token %s); it is not portable to this FMU.",
               header.version, size, PT_STATE_VERSION, expected, m->instantiation_token);
        return PT_ERROR;
    }
    if (header.interface != (uint32_t)instance->interface) {
        pt_log(instance, PT_ERROR, "the FMU state was saved by a %s instance; this is a %s instance.",
               header.interface == PT_CO_SIMULATION ? "co-simulation" : "model-exchange",
               instance->interface == PT_CO_SIMULATION ? "co-simulation" : "model-exchange");
        return PT_ERROR;
    }
    if (header.mode >= PT_MODE_COUNT) {
        pt_log(instance, PT_ERROR, "the serialized FMU state is corrupt (mode %u).", header.mode);
        return PT_ERROR;
    }
    return PT_OK;
}

static void read_state(pt_instance *instance, const unsigned char *bytes) {
    const pt_model *m = instance->model;
    pt_state_header header;
    memcpy(&header, bytes, sizeof header);
    instance->mode = (pt_mode)header.mode;
    instance->time = header.time;
    instance->rk4_max_step = header.rk4_max_step;
    const unsigned char *cursor = bytes + sizeof header;
    memcpy(instance->x, cursor, (size_t)m->nx * sizeof(double));
    cursor += (size_t)m->nx * sizeof(double);
    memcpy(instance->u, cursor, (size_t)m->nu * sizeof(double));
    cursor += (size_t)m->nu * sizeof(double);
    memcpy(instance->p, cursor, (size_t)m->np * sizeof(double));
    invalidate(instance);
}

static void release_state(pt_instance *instance, pt_state *state) {
    if (state->previous) state->previous->next = state->next;
    else instance->states = state->next;
    if (state->next) state->next->previous = state->previous;
    instance->release(state);
}

static pt_state *allocate_state(pt_instance *instance, pt_state *reuse) {
    size_t size = pt_state_size(instance->model);
    if (reuse && reuse->size == size) return reuse;
    if (reuse) release_state(instance, reuse);
    pt_state *state = instance->allocate(1, sizeof(pt_state) + size);
    if (!state) {
        pt_log(instance, PT_FATAL, "out of memory for an FMU state of %zu bytes.", size);
        return NULL;
    }
    state->size = size;
    state->previous = NULL;
    state->next = instance->states;
    if (instance->states) instance->states->previous = state;
    instance->states = state;
    return state;
}

pt_status pt_state_get(pt_instance *instance, pt_state **state) {
    if (pt_check_mode(instance, "GetFMUState", ~PT_MASK(PT_MODE_ERROR)) != PT_OK) return PT_ERROR;
    if (!state) return PT_ERROR;
    pt_state *target = allocate_state(instance, *state);
    *state = target;
    if (!target) return PT_FATAL;
    write_state(instance, target->bytes);
    return PT_OK;
}

pt_status pt_state_set(pt_instance *instance, const pt_state *state) {
    if (pt_check_mode(instance, "SetFMUState", ~PT_MASK(PT_MODE_ERROR)) != PT_OK) return PT_ERROR;
    if (!state) {
        pt_log(instance, PT_ERROR, "SetFMUState got a null FMU state.");
        return PT_ERROR;
    }
    if (check_state(instance, state->bytes, state->size) != PT_OK) return PT_ERROR;
    read_state(instance, state->bytes);
    return PT_OK;
}

pt_status pt_state_free(pt_instance *instance, pt_state **state) {
    if (!instance || !state) return PT_ERROR;
    if (*state) release_state(instance, *state);
    *state = NULL;
    return PT_OK;
}

pt_status pt_state_serialize(pt_instance *instance, const pt_state *state, unsigned char *bytes, size_t size) {
    if (!instance) return PT_ERROR;
    if (!state || !bytes || size != state->size) {
        pt_log(instance, PT_ERROR, "SerializeFMUState needs a buffer of exactly %zu bytes; got %zu.",
               state ? state->size : pt_state_size(instance->model), size);
        return PT_ERROR;
    }
    memcpy(bytes, state->bytes, size);
    return PT_OK;
}

pt_status pt_state_deserialize(pt_instance *instance, const unsigned char *bytes, size_t size, pt_state **state) {
    if (!instance || !state || !bytes) return PT_ERROR;
    if (check_state(instance, bytes, size) != PT_OK) return PT_ERROR;
    pt_state *target = allocate_state(instance, *state);
    *state = target;
    if (!target) return PT_FATAL;
    memcpy(target->bytes, bytes, size);
    return PT_OK;
}
