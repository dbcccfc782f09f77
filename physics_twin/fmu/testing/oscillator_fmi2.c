/* A damped mass-spring oscillator as an FMI 2.0 FMU (model exchange and co-simulation), used by the tests.
 *
 * States x [m], v [m/s]:  dx/dt = v,  dv/dt = -k x - d v + (enabled ? force : 0).
 * Outputs: position = x, force_out = 2 force (direct feedthrough), last_step (size of the last doStep),
 * step_count (number of doStep calls, Integer), moving = |v| > 0.5 (Boolean).
 * Test hooks on the Integer input `mode`: 1 -> abort() inside doStep (a crashing vendor binary),
 * 2 -> never return from doStep (a hanging one), 3 -> return fmi2Error.  doStep returns fmi2Discard when
 * the step is longer than the parameter max_step, and fmi2Error when it is called at a communication point
 * that differs from the FMU's own time or would step past a declared stop time.
 * Written for physics_twin; the function names and types follow the FMI 2.0 standard.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void *fmi2Component;
typedef void *fmi2FMUstate;
typedef unsigned int fmi2ValueReference;
typedef double fmi2Real;
typedef int fmi2Integer;
typedef int fmi2Boolean;
typedef char fmi2Byte;
typedef const char *fmi2String;
typedef enum { fmi2OK, fmi2Warning, fmi2Discard, fmi2Error, fmi2Fatal, fmi2Pending } fmi2Status;
typedef struct {
    int newDiscreteStatesNeeded, terminateSimulation, nominalsOfContinuousStatesChanged, valuesOfContinuousStatesChanged;
    int nextEventTimeDefined;
    double nextEventTime;
} fmi2EventInfo;

#define EXPORT __attribute__((visibility("default")))
#define MAGIC 0x70744f53u

typedef struct {
    double time, x, v, k, d, force, max_step, last_step, stop_time;
    int mode, step_count, enabled, stop_defined;
} Model;

typedef struct { Model m; int kind; } Instance;

static double force_of(const Model *m) { return m->enabled ? m->force : 0.0; }

static void derivatives(const Model *m, double x, double v, double *dx, double *dv) {
    *dx = v;
    *dv = -m->k * x - m->d * v + force_of(m);
}

static double real_value(const Model *m, fmi2ValueReference vr, int *ok) {
    double dx, dv;
    derivatives(m, m->x, m->v, &dx, &dv);
    *ok = 1;
    switch (vr) {
    case 0: return m->x;
    case 1: return m->v;
    case 2: return dx;
    case 3: return dv;
    case 4: return m->k;
    case 5: return m->d;
    case 6: return m->force;
    case 7: return m->x;
    case 8: return m->max_step;
    case 9: return 2.0 * m->force;
    case 10: return m->last_step;
    }
    *ok = 0;
    return 0.0;
}

static void defaults(Model *m) {
    memset(m, 0, sizeof(Model));
    m->x = 1.0; m->k = 1.0; m->d = 0.1; m->max_step = 1e300; m->enabled = ENABLED_START;
}

EXPORT const char *fmi2GetTypesPlatform(void) { return "default"; }
EXPORT const char *fmi2GetVersion(void) { return "2.0"; }
EXPORT fmi2Status fmi2SetDebugLogging(fmi2Component c, fmi2Boolean on, size_t n, const fmi2String cat[]) { return fmi2OK; }

EXPORT fmi2Component fmi2Instantiate(fmi2String name, int kind, fmi2String guid, fmi2String resources, const void *functions,
                                     fmi2Boolean visible, fmi2Boolean logging) {
    if (!guid || strcmp(guid, GUID) != 0) return NULL;
    Instance *inst = calloc(1, sizeof(Instance));
    if (!inst) return NULL;
    defaults(&inst->m);
    inst->kind = kind;
    return inst;
}

EXPORT void fmi2FreeInstance(fmi2Component c) { free(c); }
EXPORT fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean tolDef, fmi2Real tol, fmi2Real start, fmi2Boolean stopDef, fmi2Real stop) {
    Model *m = &((Instance *)c)->m;
    m->time = start; m->stop_defined = stopDef; m->stop_time = stop;
    return fmi2OK;
}
EXPORT fmi2Status fmi2EnterInitializationMode(fmi2Component c) { return fmi2OK; }
EXPORT fmi2Status fmi2ExitInitializationMode(fmi2Component c) { return fmi2OK; }
EXPORT fmi2Status fmi2Terminate(fmi2Component c) { return fmi2OK; }
EXPORT fmi2Status fmi2Reset(fmi2Component c) { defaults(&((Instance *)c)->m); return fmi2OK; }

EXPORT fmi2Status fmi2GetReal(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Real value[]) {
    int ok;
    for (size_t i = 0; i < n; i++) { value[i] = real_value(&((Instance *)c)->m, vr[i], &ok); if (!ok) return fmi2Error; }
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Integer value[]) {
    Model *m = &((Instance *)c)->m;
    for (size_t i = 0; i < n; i++) {
        if (vr[i] == 0) value[i] = m->mode; else if (vr[i] == 1) value[i] = m->step_count; else return fmi2Error;
    }
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Boolean value[]) {
    Model *m = &((Instance *)c)->m;
    for (size_t i = 0; i < n; i++) {
        if (vr[i] == 0) value[i] = m->enabled; else if (vr[i] == 1) value[i] = fabs(m->v) > 0.5; else return fmi2Error;
    }
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetString(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2String value[]) { return n ? fmi2Error : fmi2OK; }

EXPORT fmi2Status fmi2SetReal(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Real value[]) {
    Model *m = &((Instance *)c)->m;
    for (size_t i = 0; i < n; i++) {
        switch (vr[i]) {
        case 0: m->x = value[i]; break;
        case 1: m->v = value[i]; break;
        case 4: m->k = value[i]; break;
        case 5: m->d = value[i]; break;
        case 6: m->force = value[i]; break;
        case 8: m->max_step = value[i]; break;
        default: return fmi2Error;
        }
    }
    return fmi2OK;
}
EXPORT fmi2Status fmi2SetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Integer value[]) {
    for (size_t i = 0; i < n; i++) { if (vr[i] != 0) return fmi2Error; ((Instance *)c)->m.mode = value[i]; }
    return fmi2OK;
}
EXPORT fmi2Status fmi2SetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Boolean value[]) {
    for (size_t i = 0; i < n; i++) { if (vr[i] != 0) return fmi2Error; ((Instance *)c)->m.enabled = value[i] != 0; }
    return fmi2OK;
}
EXPORT fmi2Status fmi2SetString(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2String value[]) { return n ? fmi2Error : fmi2OK; }

EXPORT fmi2Status fmi2GetFMUstate(fmi2Component c, fmi2FMUstate *state) {
    if (*state == NULL) { *state = malloc(sizeof(Model)); if (!*state) return fmi2Error; }
    memcpy(*state, &((Instance *)c)->m, sizeof(Model));
    return fmi2OK;
}
EXPORT fmi2Status fmi2SetFMUstate(fmi2Component c, fmi2FMUstate state) {
    if (!state) return fmi2Error;
    memcpy(&((Instance *)c)->m, state, sizeof(Model));
    return fmi2OK;
}
EXPORT fmi2Status fmi2FreeFMUstate(fmi2Component c, fmi2FMUstate *state) { free(*state); *state = NULL; return fmi2OK; }
EXPORT fmi2Status fmi2SerializedFMUstateSize(fmi2Component c, fmi2FMUstate state, size_t *size) {
    *size = sizeof(unsigned) + sizeof(Model);
    return fmi2OK;
}
EXPORT fmi2Status fmi2SerializeFMUstate(fmi2Component c, fmi2FMUstate state, fmi2Byte bytes[], size_t size) {
    unsigned magic = MAGIC;
    if (size != sizeof(unsigned) + sizeof(Model)) return fmi2Error;
    memcpy(bytes, &magic, sizeof magic);
    memcpy(bytes + sizeof magic, state, sizeof(Model));
    return fmi2OK;
}
EXPORT fmi2Status fmi2DeSerializeFMUstate(fmi2Component c, const fmi2Byte bytes[], size_t size, fmi2FMUstate *state) {
    unsigned magic;
    if (size != sizeof(unsigned) + sizeof(Model)) return fmi2Error;
    memcpy(&magic, bytes, sizeof magic);
    if (magic != MAGIC) return fmi2Error;
    if (*state == NULL) { *state = malloc(sizeof(Model)); if (!*state) return fmi2Error; }
    memcpy(*state, bytes + sizeof magic, sizeof(Model));
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetDirectionalDerivative(fmi2Component c, const fmi2ValueReference u[], size_t nu, const fmi2ValueReference z[],
                                               size_t nz, const fmi2Real dz[], fmi2Real du[]) { return fmi2Error; }

/* model exchange */
EXPORT fmi2Status fmi2EnterEventMode(fmi2Component c) { return fmi2OK; }
EXPORT fmi2Status fmi2NewDiscreteStates(fmi2Component c, fmi2EventInfo *info) {
    memset(info, 0, sizeof *info);
    return fmi2OK;
}
EXPORT fmi2Status fmi2EnterContinuousTimeMode(fmi2Component c) { return fmi2OK; }
EXPORT fmi2Status fmi2CompletedIntegratorStep(fmi2Component c, fmi2Boolean noSet, fmi2Boolean *enterEvent, fmi2Boolean *terminate) {
    *enterEvent = 0; *terminate = 0;
    return fmi2OK;
}
EXPORT fmi2Status fmi2SetTime(fmi2Component c, fmi2Real t) { ((Instance *)c)->m.time = t; return fmi2OK; }
EXPORT fmi2Status fmi2SetContinuousStates(fmi2Component c, const fmi2Real x[], size_t n) {
    if (n != 2) return fmi2Error;
    ((Instance *)c)->m.x = x[0]; ((Instance *)c)->m.v = x[1];
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetDerivatives(fmi2Component c, fmi2Real dx[], size_t n) {
    Model *m = &((Instance *)c)->m;
    if (n != 2) return fmi2Error;
    derivatives(m, m->x, m->v, &dx[0], &dx[1]);
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetEventIndicators(fmi2Component c, fmi2Real z[], size_t n) { return n ? fmi2Error : fmi2OK; }
EXPORT fmi2Status fmi2GetContinuousStates(fmi2Component c, fmi2Real x[], size_t n) {
    if (n != 2) return fmi2Error;
    x[0] = ((Instance *)c)->m.x; x[1] = ((Instance *)c)->m.v;
    return fmi2OK;
}
EXPORT fmi2Status fmi2GetNominalsOfContinuousStates(fmi2Component c, fmi2Real x[], size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = 1.0;
    return fmi2OK;
}

/* co-simulation */
EXPORT fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Integer o[], const fmi2Real v[]) { return fmi2Error; }
EXPORT fmi2Status fmi2GetRealOutputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Integer o[], fmi2Real v[]) { return fmi2Error; }
EXPORT fmi2Status fmi2DoStep(fmi2Component c, fmi2Real t, fmi2Real h, fmi2Boolean noSetPrior) {
    Model *m = &((Instance *)c)->m;
    if (m->mode == 1) abort();
    if (m->mode == 2) for (;;) sleep(1);
    if (m->mode == 3) return fmi2Error;
    if (fabs(t - m->time) > 1e-9 * (1.0 + fabs(t))) return fmi2Error;
    if (m->stop_defined && t + h > m->stop_time * (1.0 + 1e-15) + 1e-300) return fmi2Error;
    if (h > m->max_step * (1.0 + 1e-9)) return fmi2Discard;
    int steps = (int)ceil(h / 1e-3 - 1e-9);
    if (steps < 1) steps = 1;
    double dt = h / steps;
    for (int i = 0; i < steps; i++) {
        double x = m->x, v = m->v, k1x, k1v, k2x, k2v, k3x, k3v, k4x, k4v;
        derivatives(m, x, v, &k1x, &k1v);
        derivatives(m, x + 0.5 * dt * k1x, v + 0.5 * dt * k1v, &k2x, &k2v);
        derivatives(m, x + 0.5 * dt * k2x, v + 0.5 * dt * k2v, &k3x, &k3v);
        derivatives(m, x + dt * k3x, v + dt * k3v, &k4x, &k4v);
        m->x = x + dt / 6.0 * (k1x + 2 * k2x + 2 * k3x + k4x);
        m->v = v + dt / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v);
    }
    m->time = t + h;
    m->last_step = h;
    m->step_count += 1;
    return fmi2OK;
}
EXPORT fmi2Status fmi2CancelStep(fmi2Component c) { return fmi2Error; }
EXPORT fmi2Status fmi2GetStatus(fmi2Component c, int kind, fmi2Status *value) { return fmi2Discard; }
EXPORT fmi2Status fmi2GetRealStatus(fmi2Component c, int kind, fmi2Real *value) {
    if (kind == 2) { *value = ((Instance *)c)->m.time; return fmi2OK; }
    return fmi2Discard;
}
EXPORT fmi2Status fmi2GetIntegerStatus(fmi2Component c, int kind, fmi2Integer *value) { return fmi2Discard; }
EXPORT fmi2Status fmi2GetBooleanStatus(fmi2Component c, int kind, fmi2Boolean *value) { return fmi2Discard; }
EXPORT fmi2Status fmi2GetStringStatus(fmi2Component c, int kind, fmi2String *value) { return fmi2Discard; }
