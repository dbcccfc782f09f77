/* A first-order lag with an array parameter and an array output, as an FMI 3.0 FMU (model exchange and
 * co-simulation), used by the tests.
 *
 * State x [1]:  dx/dt = -x + (flag ? u : 0)   (so x(t + h) = w + (x(t) - w) exp(-h) for a held input w).
 * Parameter gains (Float64, shape (3,)), output y = gains * x (shape (3,)), Boolean output positive = x > 0.
 * Written for physics_twin; the function names and types follow the FMI 3.0 standard.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void *fmi3Instance;
typedef void *fmi3FMUState;
typedef uint32_t fmi3ValueReference;
typedef enum { fmi3OK, fmi3Warning, fmi3Discard, fmi3Error, fmi3Fatal } fmi3Status;

#define EXPORT __attribute__((visibility("default")))
#define MAGIC 0x70744133u

typedef struct { double time, x, u, gains[3]; bool flag; } Model;
typedef struct { Model m; } Instance;

static double input_of(const Model *m) { return m->flag ? m->u : 0.0; }
static void defaults(Model *m) {
    memset(m, 0, sizeof(Model));
    m->x = 1.0; m->gains[0] = 1.0; m->gains[1] = 2.0; m->gains[2] = 3.0; m->flag = true;
}
static Instance *create(const char *token) {
    if (!token || strcmp(token, GUID) != 0) return NULL;
    Instance *inst = calloc(1, sizeof(Instance));
    if (inst) defaults(&inst->m);
    return inst;
}

EXPORT const char *fmi3GetVersion(void) { return "3.0"; }
EXPORT fmi3Status fmi3SetDebugLogging(fmi3Instance c, bool on, size_t n, const char *const cat[]) { return fmi3OK; }
EXPORT fmi3Instance fmi3InstantiateModelExchange(const char *name, const char *token, const char *res, bool visible, bool logging,
                                                 void *env, void *log) { return create(token); }
EXPORT fmi3Instance fmi3InstantiateCoSimulation(const char *name, const char *token, const char *res, bool visible, bool logging,
                                                bool eventMode, bool earlyReturn, const fmi3ValueReference req[], size_t nreq,
                                                void *env, void *log, void *intermediate) { return create(token); }
EXPORT void fmi3FreeInstance(fmi3Instance c) { free(c); }
EXPORT fmi3Status fmi3EnterInitializationMode(fmi3Instance c, bool tolDef, double tol, double start, bool stopDef, double stop) {
    ((Instance *)c)->m.time = start;
    return fmi3OK;
}
EXPORT fmi3Status fmi3ExitInitializationMode(fmi3Instance c) { return fmi3OK; }
EXPORT fmi3Status fmi3EnterEventMode(fmi3Instance c) { return fmi3OK; }
EXPORT fmi3Status fmi3Terminate(fmi3Instance c) { return fmi3OK; }
EXPORT fmi3Status fmi3Reset(fmi3Instance c) { defaults(&((Instance *)c)->m); return fmi3OK; }

EXPORT fmi3Status fmi3GetFloat64(fmi3Instance c, const fmi3ValueReference vr[], size_t n, double v[], size_t nv) {
    Model *m = &((Instance *)c)->m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int count = (vr[i] == 4 || vr[i] == 5) ? 3 : 1;
        if (k + count > nv) return fmi3Error;
        switch (vr[i]) {
        case 0: v[k] = m->time; break;
        case 1: v[k] = m->x; break;
        case 2: v[k] = -m->x + input_of(m); break;
        case 3: v[k] = m->u; break;
        case 4: for (int j = 0; j < 3; j++) v[k + j] = m->gains[j]; break;
        case 5: for (int j = 0; j < 3; j++) v[k + j] = m->gains[j] * m->x; break;
        default: return fmi3Error;
        }
        k += count;
    }
    return k == nv ? fmi3OK : fmi3Error;
}
EXPORT fmi3Status fmi3SetFloat64(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const double v[], size_t nv) {
    Model *m = &((Instance *)c)->m;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int count = vr[i] == 4 ? 3 : 1;
        if (k + count > nv) return fmi3Error;
        switch (vr[i]) {
        case 1: m->x = v[k]; break;
        case 3: m->u = v[k]; break;
        case 4: for (int j = 0; j < 3; j++) m->gains[j] = v[k + j]; break;
        default: return fmi3Error;
        }
        k += count;
    }
    return k == nv ? fmi3OK : fmi3Error;
}
EXPORT fmi3Status fmi3GetBoolean(fmi3Instance c, const fmi3ValueReference vr[], size_t n, bool v[], size_t nv) {
    Model *m = &((Instance *)c)->m;
    if (n != nv) return fmi3Error;
    for (size_t i = 0; i < n; i++) {
        if (vr[i] == 6) v[i] = m->flag; else if (vr[i] == 7) v[i] = m->x > 0.0; else return fmi3Error;
    }
    return fmi3OK;
}
EXPORT fmi3Status fmi3SetBoolean(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const bool v[], size_t nv) {
    if (n != nv) return fmi3Error;
    for (size_t i = 0; i < n; i++) { if (vr[i] != 6) return fmi3Error; ((Instance *)c)->m.flag = v[i]; }
    return fmi3OK;
}

EXPORT fmi3Status fmi3GetFMUState(fmi3Instance c, fmi3FMUState *s) {
    if (*s == NULL) { *s = malloc(sizeof(Model)); if (!*s) return fmi3Error; }
    memcpy(*s, &((Instance *)c)->m, sizeof(Model));
    return fmi3OK;
}
EXPORT fmi3Status fmi3SetFMUState(fmi3Instance c, fmi3FMUState s) {
    if (!s) return fmi3Error;
    memcpy(&((Instance *)c)->m, s, sizeof(Model));
    return fmi3OK;
}
EXPORT fmi3Status fmi3FreeFMUState(fmi3Instance c, fmi3FMUState *s) { free(*s); *s = NULL; return fmi3OK; }
EXPORT fmi3Status fmi3SerializedFMUStateSize(fmi3Instance c, fmi3FMUState s, size_t *size) { *size = 4 + sizeof(Model); return fmi3OK; }
EXPORT fmi3Status fmi3SerializeFMUState(fmi3Instance c, fmi3FMUState s, uint8_t bytes[], size_t size) {
    uint32_t magic = MAGIC;
    if (size != 4 + sizeof(Model)) return fmi3Error;
    memcpy(bytes, &magic, 4);
    memcpy(bytes + 4, s, sizeof(Model));
    return fmi3OK;
}
EXPORT fmi3Status fmi3DeserializeFMUState(fmi3Instance c, const uint8_t bytes[], size_t size, fmi3FMUState *s) {
    uint32_t magic;
    if (size != 4 + sizeof(Model)) return fmi3Error;
    memcpy(&magic, bytes, 4);
    if (magic != MAGIC) return fmi3Error;
    if (*s == NULL) { *s = malloc(sizeof(Model)); if (!*s) return fmi3Error; }
    memcpy(*s, bytes + 4, sizeof(Model));
    return fmi3OK;
}

/* model exchange */
EXPORT fmi3Status fmi3UpdateDiscreteStates(fmi3Instance c, bool *needUpdate, bool *terminate, bool *nominalsChanged, bool *valuesChanged,
                                           bool *nextDefined, double *nextTime) {
    *needUpdate = false; *terminate = false; *nominalsChanged = false; *valuesChanged = false; *nextDefined = false; *nextTime = 0.0;
    return fmi3OK;
}
EXPORT fmi3Status fmi3EnterContinuousTimeMode(fmi3Instance c) { return fmi3OK; }
EXPORT fmi3Status fmi3CompletedIntegratorStep(fmi3Instance c, bool noSet, bool *enterEvent, bool *terminate) {
    *enterEvent = false; *terminate = false;
    return fmi3OK;
}
EXPORT fmi3Status fmi3SetTime(fmi3Instance c, double t) { ((Instance *)c)->m.time = t; return fmi3OK; }
EXPORT fmi3Status fmi3SetContinuousStates(fmi3Instance c, const double x[], size_t n) {
    if (n != 1) return fmi3Error;
    ((Instance *)c)->m.x = x[0];
    return fmi3OK;
}
EXPORT fmi3Status fmi3GetContinuousStateDerivatives(fmi3Instance c, double dx[], size_t n) {
    Model *m = &((Instance *)c)->m;
    if (n != 1) return fmi3Error;
    dx[0] = -m->x + input_of(m);
    return fmi3OK;
}
EXPORT fmi3Status fmi3GetEventIndicators(fmi3Instance c, double z[], size_t n) { return n ? fmi3Error : fmi3OK; }
EXPORT fmi3Status fmi3GetContinuousStates(fmi3Instance c, double x[], size_t n) {
    if (n != 1) return fmi3Error;
    x[0] = ((Instance *)c)->m.x;
    return fmi3OK;
}
EXPORT fmi3Status fmi3GetNominalsOfContinuousStates(fmi3Instance c, double x[], size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = 1.0;
    return fmi3OK;
}
EXPORT fmi3Status fmi3GetNumberOfEventIndicators(fmi3Instance c, size_t *n) { *n = 0; return fmi3OK; }
EXPORT fmi3Status fmi3GetNumberOfContinuousStates(fmi3Instance c, size_t *n) { *n = 1; return fmi3OK; }

/* co-simulation */
EXPORT fmi3Status fmi3EnterStepMode(fmi3Instance c) { return fmi3OK; }
EXPORT fmi3Status fmi3DoStep(fmi3Instance c, double t, double h, bool noSetPrior, bool *eventNeeded, bool *terminate, bool *earlyReturn,
                             double *lastTime) {
    Model *m = &((Instance *)c)->m;
    double w = input_of(m);
    if (fabs(t - m->time) > 1e-9 * (1.0 + fabs(t))) return fmi3Error;
    m->x = w + (m->x - w) * exp(-h);
    m->time = t + h;
    *eventNeeded = false; *terminate = false; *earlyReturn = false; *lastTime = m->time;
    return fmi3OK;
}

/* not supported by this test FMU: exported so that every symbol an importer looks up exists */
#define UNSUPPORTED(name) EXPORT fmi3Status name(void) { return fmi3Error; }
UNSUPPORTED(fmi3InstantiateScheduledExecution)
UNSUPPORTED(fmi3GetFloat32) UNSUPPORTED(fmi3GetInt8) UNSUPPORTED(fmi3GetUInt8) UNSUPPORTED(fmi3GetInt16) UNSUPPORTED(fmi3GetUInt16)
UNSUPPORTED(fmi3GetInt32) UNSUPPORTED(fmi3GetUInt32) UNSUPPORTED(fmi3GetInt64) UNSUPPORTED(fmi3GetUInt64) UNSUPPORTED(fmi3GetString)
UNSUPPORTED(fmi3GetBinary) UNSUPPORTED(fmi3GetClock) UNSUPPORTED(fmi3SetFloat32) UNSUPPORTED(fmi3SetInt8) UNSUPPORTED(fmi3SetUInt8)
UNSUPPORTED(fmi3SetInt16) UNSUPPORTED(fmi3SetUInt16) UNSUPPORTED(fmi3SetInt32) UNSUPPORTED(fmi3SetUInt32) UNSUPPORTED(fmi3SetInt64)
UNSUPPORTED(fmi3SetUInt64) UNSUPPORTED(fmi3SetString) UNSUPPORTED(fmi3SetBinary) UNSUPPORTED(fmi3SetClock)
UNSUPPORTED(fmi3GetNumberOfVariableDependencies) UNSUPPORTED(fmi3GetVariableDependencies) UNSUPPORTED(fmi3GetDirectionalDerivative)
UNSUPPORTED(fmi3GetAdjointDerivative) UNSUPPORTED(fmi3EnterConfigurationMode) UNSUPPORTED(fmi3ExitConfigurationMode)
UNSUPPORTED(fmi3GetIntervalDecimal) UNSUPPORTED(fmi3GetIntervalFraction) UNSUPPORTED(fmi3GetShiftDecimal) UNSUPPORTED(fmi3GetShiftFraction)
UNSUPPORTED(fmi3SetIntervalDecimal) UNSUPPORTED(fmi3SetIntervalFraction) UNSUPPORTED(fmi3SetShiftDecimal) UNSUPPORTED(fmi3SetShiftFraction)
UNSUPPORTED(fmi3EvaluateDiscreteStates) UNSUPPORTED(fmi3GetOutputDerivatives) UNSUPPORTED(fmi3ActivateModelPartition)
