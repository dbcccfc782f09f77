/* FMI 2.0 interface (model exchange and co-simulation in one binary) over pt_core.
 *
 * Compile with the standard's published headers (fmi2Functions.h and the two headers it includes) on the include
 * path; physics_twin/fmu/export.py takes them from fmpy's installed copy. */
#include <stdlib.h>
#include <string.h>

#include "fmi2Functions.h"
#include "pt_core.h"

typedef struct {
    fmi2CallbackFunctions functions;
    const char *name;
} fmi2_glue;

static void *default_allocate(size_t count, size_t size) { return calloc(count, size); }

/* The FMI 2 logger treats the message as a printf format: double every '%'. */
static void log_fmi2(void *glue_pointer, pt_status status, const char *category, const char *message) {
    fmi2_glue *glue = glue_pointer;
    if (!glue || !glue->functions.logger) return;
    char escaped[2048];
    size_t j = 0;
    for (size_t i = 0; message[i] && j + 2 < sizeof escaped; ++i) {
        if (message[i] == '%') escaped[j++] = '%';
        escaped[j++] = message[i];
    }
    escaped[j] = '\0';
    glue->functions.logger(glue->functions.componentEnvironment, glue->name, (fmi2Status)status, category, escaped);
}

#define INSTANCE ((pt_instance *)c)
#define ME_MODES (PT_MASK(PT_MODE_EVENT) | PT_MASK(PT_MODE_CONTINUOUS))

static fmi2Status not_model_exchange(fmi2Component c, const char *function) {
    if (!c) return fmi2Error;
    if (INSTANCE->interface != PT_MODEL_EXCHANGE) {
        pt_log(INSTANCE, PT_ERROR, "%s belongs to model exchange; this instance is co-simulation.", function);
        return fmi2Error;
    }
    return fmi2OK;
}

static fmi2Status unsupported(fmi2Component c, const char *function, const char *why) {
    if (c) pt_log(INSTANCE, PT_ERROR, "%s is not supported: %s", function, why);
    return fmi2Error;
}

/* ---- common functions ------------------------------------------------------------------------------------ */

const char *fmi2GetTypesPlatform(void) { return fmi2TypesPlatform; }

const char *fmi2GetVersion(void) { return fmi2Version; }

fmi2Status fmi2SetDebugLogging(fmi2Component c, fmi2Boolean loggingOn, size_t nCategories, const fmi2String categories[]) {
    if (!c) return fmi2Error;
    INSTANCE->logging_on = loggingOn;
    return fmi2OK;
}

fmi2Component fmi2Instantiate(fmi2String instanceName, fmi2Type fmuType, fmi2String fmuGUID,
                              fmi2String fmuResourceLocation, const fmi2CallbackFunctions *functions,
                              fmi2Boolean visible, fmi2Boolean loggingOn) {
    if (!functions) return NULL;
    void *(*allocate)(size_t, size_t) = functions->allocateMemory ? functions->allocateMemory : default_allocate;
    void (*release)(void *) = functions->freeMemory ? functions->freeMemory : free;
    fmi2_glue *glue = allocate(1, sizeof *glue);
    if (!glue) return NULL;
    glue->functions = *functions;
    glue->name = instanceName ? instanceName : "";
    if (fmuType != fmi2ModelExchange && fmuType != fmi2CoSimulation) {
        log_fmi2(glue, PT_ERROR, "logStatusError", "unknown fmi2Type.");
        release(glue);
        return NULL;
    }
    pt_interface interface = fmuType == fmi2CoSimulation ? PT_CO_SIMULATION : PT_MODEL_EXCHANGE;
    pt_instance *instance = pt_instantiate(&PT_MODEL, instanceName, fmuGUID, interface, loggingOn, log_fmi2, glue,
                                           allocate, release);
    if (!instance) {
        release(glue);
        return NULL;
    }
    glue->name = instance->name; /* the caller's string need not outlive this call */
    return instance;
}

void fmi2FreeInstance(fmi2Component c) {
    if (!c) return;
    void (*release)(void *) = INSTANCE->release;
    void *glue = INSTANCE->glue;
    pt_free(INSTANCE);
    release(glue);
}

fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean toleranceDefined, fmi2Real tolerance, fmi2Real startTime,
                               fmi2Boolean stopTimeDefined, fmi2Real stopTime) {
    if (pt_check_mode(INSTANCE, "fmi2SetupExperiment", PT_MASK(PT_MODE_INSTANTIATED)) != PT_OK) return fmi2Error;
    INSTANCE->time = startTime;
    return fmi2OK;
}

fmi2Status fmi2EnterInitializationMode(fmi2Component c) {
    if (!c) return fmi2Error;
    return (fmi2Status)pt_enter_initialization(INSTANCE, INSTANCE->time);
}

fmi2Status fmi2ExitInitializationMode(fmi2Component c) { return c ? (fmi2Status)pt_exit_initialization(INSTANCE) : fmi2Error; }

fmi2Status fmi2Terminate(fmi2Component c) {
    unsigned allowed = PT_MASK(PT_MODE_STEP) | ME_MODES;
    if (pt_check_mode(INSTANCE, "fmi2Terminate", allowed) != PT_OK) return fmi2Error;
    INSTANCE->mode = PT_MODE_TERMINATED;
    return fmi2OK;
}

fmi2Status fmi2Reset(fmi2Component c) {
    if (!c) return fmi2Error;
    pt_reset(INSTANCE);
    return fmi2OK;
}

/* ---- values ---------------------------------------------------------------------------------------------- */

fmi2Status fmi2GetReal(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Real value[]) {
    return c ? (fmi2Status)pt_get(INSTANCE, vr, nvr, value) : fmi2Error;
}

fmi2Status fmi2SetReal(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Real value[]) {
    return c ? (fmi2Status)pt_set(INSTANCE, vr, nvr, value) : fmi2Error;
}

#define NO_VARIABLES_OF_TYPE(function, type, constness)                                                            \
    fmi2Status function(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, constness type value[]) {       \
        if (!c) return fmi2Error;                                                                                  \
        if (nvr == 0) return fmi2OK;                                                                               \
        pt_log(INSTANCE, PT_ERROR, "%s: this FMU has only Real variables (value reference %u).", #function, vr[0]); \
        return fmi2Error;                                                                                          \
    }

NO_VARIABLES_OF_TYPE(fmi2GetInteger, fmi2Integer, )
NO_VARIABLES_OF_TYPE(fmi2GetBoolean, fmi2Boolean, )
NO_VARIABLES_OF_TYPE(fmi2GetString, fmi2String, )
NO_VARIABLES_OF_TYPE(fmi2SetInteger, fmi2Integer, const)
NO_VARIABLES_OF_TYPE(fmi2SetBoolean, fmi2Boolean, const)
NO_VARIABLES_OF_TYPE(fmi2SetString, fmi2String, const)

/* ---- FMU state ------------------------------------------------------------------------------------------- */

fmi2Status fmi2GetFMUstate(fmi2Component c, fmi2FMUstate *FMUstate) {
    return c ? (fmi2Status)pt_state_get(INSTANCE, (pt_state **)FMUstate) : fmi2Error;
}

fmi2Status fmi2SetFMUstate(fmi2Component c, fmi2FMUstate FMUstate) {
    return c ? (fmi2Status)pt_state_set(INSTANCE, (const pt_state *)FMUstate) : fmi2Error;
}

fmi2Status fmi2FreeFMUstate(fmi2Component c, fmi2FMUstate *FMUstate) {
    return c ? (fmi2Status)pt_state_free(INSTANCE, (pt_state **)FMUstate) : fmi2Error;
}

fmi2Status fmi2SerializedFMUstateSize(fmi2Component c, fmi2FMUstate FMUstate, size_t *size) {
    if (!c || !size) return fmi2Error;
    *size = FMUstate ? ((const pt_state *)FMUstate)->size : pt_state_size(INSTANCE->model);
    return fmi2OK;
}

fmi2Status fmi2SerializeFMUstate(fmi2Component c, fmi2FMUstate FMUstate, fmi2Byte serializedState[], size_t size) {
    return c ? (fmi2Status)pt_state_serialize(INSTANCE, (const pt_state *)FMUstate, (unsigned char *)serializedState, size)
             : fmi2Error;
}

fmi2Status fmi2DeSerializeFMUstate(fmi2Component c, const fmi2Byte serializedState[], size_t size,
                                   fmi2FMUstate *FMUstate) {
    return c ? (fmi2Status)pt_state_deserialize(INSTANCE, (const unsigned char *)serializedState, size,
                                                (pt_state **)FMUstate)
             : fmi2Error;
}

fmi2Status fmi2GetDirectionalDerivative(fmi2Component c, const fmi2ValueReference vUnknown_ref[], size_t nUnknown,
                                        const fmi2ValueReference vKnown_ref[], size_t nKnown, const fmi2Real dvKnown[],
                                        fmi2Real dvUnknown[]) {
    return unsupported(c, "fmi2GetDirectionalDerivative", "providesDirectionalDerivative is false.");
}

/* ---- model exchange -------------------------------------------------------------------------------------- */

fmi2Status fmi2EnterEventMode(fmi2Component c) {
    if (not_model_exchange(c, "fmi2EnterEventMode") != fmi2OK) return fmi2Error;
    if (pt_check_mode(INSTANCE, "fmi2EnterEventMode", ME_MODES) != PT_OK) return fmi2Error;
    INSTANCE->mode = PT_MODE_EVENT;
    return fmi2OK;
}

fmi2Status fmi2NewDiscreteStates(fmi2Component c, fmi2EventInfo *eventInfo) {
    if (not_model_exchange(c, "fmi2NewDiscreteStates") != fmi2OK) return fmi2Error;
    if (pt_check_mode(INSTANCE, "fmi2NewDiscreteStates", PT_MASK(PT_MODE_EVENT)) != PT_OK) return fmi2Error;
    /* the models have no discrete states, no state events and no time events */
    eventInfo->newDiscreteStatesNeeded = fmi2False;
    eventInfo->terminateSimulation = fmi2False;
    eventInfo->nominalsOfContinuousStatesChanged = fmi2False;
    eventInfo->valuesOfContinuousStatesChanged = fmi2False;
    eventInfo->nextEventTimeDefined = fmi2False;
    eventInfo->nextEventTime = 0.0;
    return fmi2OK;
}

fmi2Status fmi2EnterContinuousTimeMode(fmi2Component c) {
    if (not_model_exchange(c, "fmi2EnterContinuousTimeMode") != fmi2OK) return fmi2Error;
    if (pt_check_mode(INSTANCE, "fmi2EnterContinuousTimeMode", PT_MASK(PT_MODE_EVENT)) != PT_OK) return fmi2Error;
    INSTANCE->mode = PT_MODE_CONTINUOUS;
    return fmi2OK;
}

fmi2Status fmi2CompletedIntegratorStep(fmi2Component c, fmi2Boolean noSetFMUStatePriorToCurrentPoint,
                                       fmi2Boolean *enterEventMode, fmi2Boolean *terminateSimulation) {
    if (not_model_exchange(c, "fmi2CompletedIntegratorStep") != fmi2OK) return fmi2Error;
    if (pt_check_mode(INSTANCE, "fmi2CompletedIntegratorStep", PT_MASK(PT_MODE_CONTINUOUS)) != PT_OK) return fmi2Error;
    *enterEventMode = fmi2False;
    *terminateSimulation = fmi2False;
    return fmi2OK;
}

fmi2Status fmi2SetTime(fmi2Component c, fmi2Real time) {
    if (not_model_exchange(c, "fmi2SetTime") != fmi2OK) return fmi2Error;
    return (fmi2Status)pt_set_time(INSTANCE, time);
}

fmi2Status fmi2SetContinuousStates(fmi2Component c, const fmi2Real x[], size_t nx) {
    if (not_model_exchange(c, "fmi2SetContinuousStates") != fmi2OK) return fmi2Error;
    return (fmi2Status)pt_set_states(INSTANCE, x, nx);
}

fmi2Status fmi2GetDerivatives(fmi2Component c, fmi2Real derivatives[], size_t nx) {
    if (not_model_exchange(c, "fmi2GetDerivatives") != fmi2OK) return fmi2Error;
    return (fmi2Status)pt_get_derivatives(INSTANCE, derivatives, nx);
}

fmi2Status fmi2GetEventIndicators(fmi2Component c, fmi2Real eventIndicators[], size_t ni) {
    if (not_model_exchange(c, "fmi2GetEventIndicators") != fmi2OK) return fmi2Error;
    if (ni == 0) return fmi2OK;
    pt_log(INSTANCE, PT_ERROR, "fmi2GetEventIndicators: this FMU has no event indicators; got ni = %zu.", ni);
    return fmi2Error;
}

fmi2Status fmi2GetContinuousStates(fmi2Component c, fmi2Real x[], size_t nx) {
    if (not_model_exchange(c, "fmi2GetContinuousStates") != fmi2OK) return fmi2Error;
    return (fmi2Status)pt_get_states(INSTANCE, x, nx);
}

fmi2Status fmi2GetNominalsOfContinuousStates(fmi2Component c, fmi2Real x_nominal[], size_t nx) {
    if (not_model_exchange(c, "fmi2GetNominalsOfContinuousStates") != fmi2OK) return fmi2Error;
    return (fmi2Status)pt_get_nominals(INSTANCE, x_nominal, nx);
}

/* ---- co-simulation --------------------------------------------------------------------------------------- */

fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t nvr,
                                       const fmi2Integer order[], const fmi2Real value[]) {
    return unsupported(c, "fmi2SetRealInputDerivatives", "canInterpolateInputs is false (inputs are held over a step).");
}

fmi2Status fmi2GetRealOutputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t nvr,
                                        const fmi2Integer order[], fmi2Real value[]) {
    return unsupported(c, "fmi2GetRealOutputDerivatives", "maxOutputDerivativeOrder is 0.");
}

fmi2Status fmi2DoStep(fmi2Component c, fmi2Real currentCommunicationPoint, fmi2Real communicationStepSize,
                      fmi2Boolean noSetFMUStatePriorToCurrentPoint) {
    if (!c) return fmi2Error;
    if (INSTANCE->interface != PT_CO_SIMULATION) {
        pt_log(INSTANCE, PT_ERROR, "fmi2DoStep belongs to co-simulation; this instance is model exchange.");
        return fmi2Error;
    }
    return (fmi2Status)pt_do_step(INSTANCE, currentCommunicationPoint, communicationStepSize);
}

fmi2Status fmi2CancelStep(fmi2Component c) {
    return unsupported(c, "fmi2CancelStep", "fmi2DoStep never returns fmi2Pending.");
}

fmi2Status fmi2GetStatus(fmi2Component c, const fmi2StatusKind s, fmi2Status *value) {
    return unsupported(c, "fmi2GetStatus", "fmi2DoStep never returns fmi2Pending.");
}

fmi2Status fmi2GetRealStatus(fmi2Component c, const fmi2StatusKind s, fmi2Real *value) {
    if (!c) return fmi2Error;
    if (s == fmi2LastSuccessfulTime) {
        *value = INSTANCE->time;
        return fmi2OK;
    }
    return unsupported(c, "fmi2GetRealStatus", "only fmi2LastSuccessfulTime is available.");
}

fmi2Status fmi2GetIntegerStatus(fmi2Component c, const fmi2StatusKind s, fmi2Integer *value) {
    return unsupported(c, "fmi2GetIntegerStatus", "there is no integer status.");
}

fmi2Status fmi2GetBooleanStatus(fmi2Component c, const fmi2StatusKind s, fmi2Boolean *value) {
    if (!c) return fmi2Error;
    if (s == fmi2Terminated) {
        *value = fmi2False;
        return fmi2OK;
    }
    return unsupported(c, "fmi2GetBooleanStatus", "only fmi2Terminated is available.");
}

fmi2Status fmi2GetStringStatus(fmi2Component c, const fmi2StatusKind s, fmi2String *value) {
    return unsupported(c, "fmi2GetStringStatus", "there is no string status.");
}
