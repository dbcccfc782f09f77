/* FMI 3.0 interface (model exchange and co-simulation in one binary; no scheduled execution) over pt_core.
 *
 * Compile with the standard's published headers (fmi3Functions.h and the two headers it includes) on the include
 * path; physics_twin/fmu/export.py takes them from fmpy's installed copy. */
#include <stdlib.h>
#include <string.h>

#include "fmi3Functions.h"
#include "pt_core.h"

typedef struct {
    fmi3InstanceEnvironment environment;
    fmi3LogMessageCallback log_message;
} fmi3_glue;

static void *allocate(size_t count, size_t size) { return calloc(count, size); }

static void log_fmi3(void *glue_pointer, pt_status status, const char *category, const char *message) {
    fmi3_glue *glue = glue_pointer;
    if (glue && glue->log_message) glue->log_message(glue->environment, (fmi3Status)status, category, message);
}

#define INSTANCE ((pt_instance *)instance)
#define ME_MODES (PT_MASK(PT_MODE_EVENT) | PT_MASK(PT_MODE_CONTINUOUS))

static fmi3Status unsupported(fmi3Instance instance, const char *function, const char *why) {
    if (instance) pt_log(INSTANCE, PT_ERROR, "%s is not supported: %s", function, why);
    return fmi3Error;
}

static fmi3Status require_interface(fmi3Instance instance, pt_interface interface, const char *function) {
    if (!instance) return fmi3Error;
    if (INSTANCE->interface == interface) return fmi3OK;
    pt_log(INSTANCE, PT_ERROR, "%s belongs to %s; this instance is %s.", function,
           interface == PT_MODEL_EXCHANGE ? "model exchange" : "co-simulation",
           interface == PT_MODEL_EXCHANGE ? "co-simulation" : "model exchange");
    return fmi3Error;
}

static fmi3Instance instantiate(fmi3String instanceName, fmi3String instantiationToken, fmi3Boolean loggingOn,
                                fmi3InstanceEnvironment instanceEnvironment, fmi3LogMessageCallback logMessage,
                                pt_interface interface) {
    fmi3_glue *glue = calloc(1, sizeof *glue);
    if (!glue) return NULL;
    glue->environment = instanceEnvironment;
    glue->log_message = logMessage;
    pt_instance *instance = pt_instantiate(&PT_MODEL, instanceName, instantiationToken, interface, loggingOn, log_fmi3,
                                           glue, allocate, free);
    if (!instance) free(glue);
    return instance;
}

/* ---- common functions ------------------------------------------------------------------------------------ */

const char *fmi3GetVersion(void) { return fmi3Version; }

fmi3Status fmi3SetDebugLogging(fmi3Instance instance, fmi3Boolean loggingOn, size_t nCategories,
                               const fmi3String categories[]) {
    if (!instance) return fmi3Error;
    INSTANCE->logging_on = loggingOn;
    return fmi3OK;
}

fmi3Instance fmi3InstantiateModelExchange(fmi3String instanceName, fmi3String instantiationToken,
                                          fmi3String resourcePath, fmi3Boolean visible, fmi3Boolean loggingOn,
                                          fmi3InstanceEnvironment instanceEnvironment,
                                          fmi3LogMessageCallback logMessage) {
    return instantiate(instanceName, instantiationToken, loggingOn, instanceEnvironment, logMessage, PT_MODEL_EXCHANGE);
}

fmi3Instance fmi3InstantiateCoSimulation(fmi3String instanceName, fmi3String instantiationToken,
                                         fmi3String resourcePath, fmi3Boolean visible, fmi3Boolean loggingOn,
                                         fmi3Boolean eventModeUsed, fmi3Boolean earlyReturnAllowed,
                                         const fmi3ValueReference requiredIntermediateVariables[],
                                         size_t nRequiredIntermediateVariables,
                                         fmi3InstanceEnvironment instanceEnvironment,
                                         fmi3LogMessageCallback logMessage,
                                         fmi3IntermediateUpdateCallback intermediateUpdate) {
    (void)earlyReturnAllowed; /* a step always completes: early return is never taken */
    if (eventModeUsed) {
        fmi3_glue probe = {instanceEnvironment, logMessage};
        log_fmi3(&probe, PT_ERROR, "logStatusError", "this FMU declares hasEventMode=\"false\"; instantiate it with "
                 "eventModeUsed = false.");
        return NULL;
    }
    return instantiate(instanceName, instantiationToken, loggingOn, instanceEnvironment, logMessage, PT_CO_SIMULATION);
}

fmi3Instance fmi3InstantiateScheduledExecution(fmi3String instanceName, fmi3String instantiationToken,
                                               fmi3String resourcePath, fmi3Boolean visible, fmi3Boolean loggingOn,
                                               fmi3InstanceEnvironment instanceEnvironment,
                                               fmi3LogMessageCallback logMessage, fmi3ClockUpdateCallback clockUpdate,
                                               fmi3LockPreemptionCallback lockPreemption,
                                               fmi3UnlockPreemptionCallback unlockPreemption) {
    fmi3_glue probe = {instanceEnvironment, logMessage};
    log_fmi3(&probe, PT_ERROR, "logStatusError", "this FMU supports model exchange and co-simulation, not scheduled "
             "execution.");
    return NULL;
}

void fmi3FreeInstance(fmi3Instance instance) {
    if (!instance) return;
    void *glue = INSTANCE->glue;
    pt_free(INSTANCE);
    free(glue);
}

fmi3Status fmi3EnterInitializationMode(fmi3Instance instance, fmi3Boolean toleranceDefined, fmi3Float64 tolerance,
                                       fmi3Float64 startTime, fmi3Boolean stopTimeDefined, fmi3Float64 stopTime) {
    return instance ? (fmi3Status)pt_enter_initialization(INSTANCE, startTime) : fmi3Error;
}

fmi3Status fmi3ExitInitializationMode(fmi3Instance instance) {
    return instance ? (fmi3Status)pt_exit_initialization(INSTANCE) : fmi3Error;
}

fmi3Status fmi3EnterEventMode(fmi3Instance instance) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3EnterEventMode") != fmi3OK) return fmi3Error;
    if (pt_check_mode(INSTANCE, "fmi3EnterEventMode", ME_MODES) != PT_OK) return fmi3Error;
    INSTANCE->mode = PT_MODE_EVENT;
    return fmi3OK;
}

fmi3Status fmi3Terminate(fmi3Instance instance) {
    unsigned allowed = PT_MASK(PT_MODE_STEP) | ME_MODES;
    if (pt_check_mode(INSTANCE, "fmi3Terminate", allowed) != PT_OK) return fmi3Error;
    INSTANCE->mode = PT_MODE_TERMINATED;
    return fmi3OK;
}

fmi3Status fmi3Reset(fmi3Instance instance) {
    if (!instance) return fmi3Error;
    pt_reset(INSTANCE);
    return fmi3OK;
}

/* ---- values ---------------------------------------------------------------------------------------------- */

static fmi3Status check_scalar_count(fmi3Instance instance, const char *function, size_t nValueReferences,
                                     size_t nValues) {
    if (nValues == nValueReferences) return fmi3OK;
    pt_log(INSTANCE, PT_ERROR, "%s: every variable of this FMU is a scalar; %zu value references need %zu values, "
           "got %zu.", function, nValueReferences, nValueReferences, nValues);
    return fmi3Error;
}

fmi3Status fmi3GetFloat64(fmi3Instance instance, const fmi3ValueReference valueReferences[], size_t nValueReferences,
                          fmi3Float64 values[], size_t nValues) {
    if (!instance) return fmi3Error;
    if (check_scalar_count(instance, "fmi3GetFloat64", nValueReferences, nValues) != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_get(INSTANCE, valueReferences, nValueReferences, values);
}

fmi3Status fmi3SetFloat64(fmi3Instance instance, const fmi3ValueReference valueReferences[], size_t nValueReferences,
                          const fmi3Float64 values[], size_t nValues) {
    if (!instance) return fmi3Error;
    if (check_scalar_count(instance, "fmi3SetFloat64", nValueReferences, nValues) != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_set(INSTANCE, valueReferences, nValueReferences, values);
}

static fmi3Status no_variables_of_type(fmi3Instance instance, const char *function, size_t n,
                                       const fmi3ValueReference valueReferences[]) {
    if (!instance) return fmi3Error;
    if (n == 0) return fmi3OK;
    pt_log(INSTANCE, PT_ERROR, "%s: this FMU has only Float64 variables (value reference %u).", function,
           valueReferences[0]);
    return fmi3Error;
}

#define NO_GETTER(type)                                                                                            \
    fmi3Status fmi3Get##type(fmi3Instance instance, const fmi3ValueReference valueReferences[],                   \
                             size_t nValueReferences, fmi3##type values[], size_t nValues) {                       \
        return no_variables_of_type(instance, "fmi3Get" #type, nValueReferences, valueReferences);                 \
    }
#define NO_SETTER(type)                                                                                            \
    fmi3Status fmi3Set##type(fmi3Instance instance, const fmi3ValueReference valueReferences[],                   \
                             size_t nValueReferences, const fmi3##type values[], size_t nValues) {                 \
        return no_variables_of_type(instance, "fmi3Set" #type, nValueReferences, valueReferences);                 \
    }
#define NO_VARIABLES_OF_TYPE(type) NO_GETTER(type) NO_SETTER(type)

NO_VARIABLES_OF_TYPE(Float32)
NO_VARIABLES_OF_TYPE(Int8)
NO_VARIABLES_OF_TYPE(UInt8)
NO_VARIABLES_OF_TYPE(Int16)
NO_VARIABLES_OF_TYPE(UInt16)
NO_VARIABLES_OF_TYPE(Int32)
NO_VARIABLES_OF_TYPE(UInt32)
NO_VARIABLES_OF_TYPE(Int64)
NO_VARIABLES_OF_TYPE(UInt64)
NO_VARIABLES_OF_TYPE(Boolean)
NO_VARIABLES_OF_TYPE(String)

fmi3Status fmi3GetBinary(fmi3Instance instance, const fmi3ValueReference valueReferences[], size_t nValueReferences,
                         size_t valueSizes[], fmi3Binary values[], size_t nValues) {
    return no_variables_of_type(instance, "fmi3GetBinary", nValueReferences, valueReferences);
}

fmi3Status fmi3SetBinary(fmi3Instance instance, const fmi3ValueReference valueReferences[], size_t nValueReferences,
                         const size_t valueSizes[], const fmi3Binary values[], size_t nValues) {
    return no_variables_of_type(instance, "fmi3SetBinary", nValueReferences, valueReferences);
}

fmi3Status fmi3GetClock(fmi3Instance instance, const fmi3ValueReference valueReferences[], size_t nValueReferences,
                        fmi3Clock values[]) {
    return no_variables_of_type(instance, "fmi3GetClock", nValueReferences, valueReferences);
}

fmi3Status fmi3SetClock(fmi3Instance instance, const fmi3ValueReference valueReferences[], size_t nValueReferences,
                        const fmi3Clock values[]) {
    return no_variables_of_type(instance, "fmi3SetClock", nValueReferences, valueReferences);
}

fmi3Status fmi3GetNumberOfVariableDependencies(fmi3Instance instance, fmi3ValueReference valueReference,
                                               size_t *nDependencies) {
    return unsupported(instance, "fmi3GetNumberOfVariableDependencies", "the model structure lists no dependencies.");
}

fmi3Status fmi3GetVariableDependencies(fmi3Instance instance, fmi3ValueReference dependent,
                                       size_t elementIndicesOfDependent[], fmi3ValueReference independents[],
                                       size_t elementIndicesOfIndependents[], fmi3DependencyKind dependencyKinds[],
                                       size_t nDependencies) {
    return unsupported(instance, "fmi3GetVariableDependencies", "the model structure lists no dependencies.");
}

/* ---- FMU state ------------------------------------------------------------------------------------------- */

fmi3Status fmi3GetFMUState(fmi3Instance instance, fmi3FMUState *FMUState) {
    return instance ? (fmi3Status)pt_state_get(INSTANCE, (pt_state **)FMUState) : fmi3Error;
}

fmi3Status fmi3SetFMUState(fmi3Instance instance, fmi3FMUState FMUState) {
    return instance ? (fmi3Status)pt_state_set(INSTANCE, (const pt_state *)FMUState) : fmi3Error;
}

fmi3Status fmi3FreeFMUState(fmi3Instance instance, fmi3FMUState *FMUState) {
    return instance ? (fmi3Status)pt_state_free(INSTANCE, (pt_state **)FMUState) : fmi3Error;
}

fmi3Status fmi3SerializedFMUStateSize(fmi3Instance instance, fmi3FMUState FMUState, size_t *size) {
    if (!instance || !size) return fmi3Error;
    *size = FMUState ? ((const pt_state *)FMUState)->size : pt_state_size(INSTANCE->model);
    return fmi3OK;
}

fmi3Status fmi3SerializeFMUState(fmi3Instance instance, fmi3FMUState FMUState, fmi3Byte serializedState[],
                                 size_t size) {
    return instance ? (fmi3Status)pt_state_serialize(INSTANCE, (const pt_state *)FMUState, serializedState, size)
                    : fmi3Error;
}

fmi3Status fmi3DeserializeFMUState(fmi3Instance instance, const fmi3Byte serializedState[], size_t size,
                                   fmi3FMUState *FMUState) {
    return instance ? (fmi3Status)pt_state_deserialize(INSTANCE, serializedState, size, (pt_state **)FMUState)
                    : fmi3Error;
}

/* ---- partial derivatives, configuration, clocks: not provided -------------------------------------------- */

fmi3Status fmi3GetDirectionalDerivative(fmi3Instance instance, const fmi3ValueReference unknowns[], size_t nUnknowns,
                                        const fmi3ValueReference knowns[], size_t nKnowns, const fmi3Float64 seed[],
                                        size_t nSeed, fmi3Float64 sensitivity[], size_t nSensitivity) {
    return unsupported(instance, "fmi3GetDirectionalDerivative", "providesDirectionalDerivatives is false.");
}

fmi3Status fmi3GetAdjointDerivative(fmi3Instance instance, const fmi3ValueReference unknowns[], size_t nUnknowns,
                                    const fmi3ValueReference knowns[], size_t nKnowns, const fmi3Float64 seed[],
                                    size_t nSeed, fmi3Float64 sensitivity[], size_t nSensitivity) {
    return unsupported(instance, "fmi3GetAdjointDerivative", "providesAdjointDerivatives is false.");
}

fmi3Status fmi3EnterConfigurationMode(fmi3Instance instance) {
    return unsupported(instance, "fmi3EnterConfigurationMode", "the FMU has no structural parameters.");
}

fmi3Status fmi3ExitConfigurationMode(fmi3Instance instance) {
    return unsupported(instance, "fmi3ExitConfigurationMode", "the FMU has no structural parameters.");
}

#define NO_CLOCKS "the FMU has no clocks."

fmi3Status fmi3GetIntervalDecimal(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                  size_t nValueReferences, fmi3Float64 intervals[], fmi3IntervalQualifier qualifiers[]) {
    return unsupported(instance, "fmi3GetIntervalDecimal", NO_CLOCKS);
}

fmi3Status fmi3GetIntervalFraction(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                   size_t nValueReferences, fmi3UInt64 counters[], fmi3UInt64 resolutions[],
                                   fmi3IntervalQualifier qualifiers[]) {
    return unsupported(instance, "fmi3GetIntervalFraction", NO_CLOCKS);
}

fmi3Status fmi3GetShiftDecimal(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                               size_t nValueReferences, fmi3Float64 shifts[]) {
    return unsupported(instance, "fmi3GetShiftDecimal", NO_CLOCKS);
}

fmi3Status fmi3GetShiftFraction(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                size_t nValueReferences, fmi3UInt64 counters[], fmi3UInt64 resolutions[]) {
    return unsupported(instance, "fmi3GetShiftFraction", NO_CLOCKS);
}

fmi3Status fmi3SetIntervalDecimal(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                  size_t nValueReferences, const fmi3Float64 intervals[]) {
    return unsupported(instance, "fmi3SetIntervalDecimal", NO_CLOCKS);
}

fmi3Status fmi3SetIntervalFraction(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                   size_t nValueReferences, const fmi3UInt64 counters[],
                                   const fmi3UInt64 resolutions[]) {
    return unsupported(instance, "fmi3SetIntervalFraction", NO_CLOCKS);
}

fmi3Status fmi3SetShiftDecimal(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                               size_t nValueReferences, const fmi3Float64 shifts[]) {
    return unsupported(instance, "fmi3SetShiftDecimal", NO_CLOCKS);
}

fmi3Status fmi3SetShiftFraction(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                size_t nValueReferences, const fmi3UInt64 counters[], const fmi3UInt64 resolutions[]) {
    return unsupported(instance, "fmi3SetShiftFraction", NO_CLOCKS);
}

fmi3Status fmi3EvaluateDiscreteStates(fmi3Instance instance) {
    return instance ? fmi3OK : fmi3Error; /* there are no discrete states to evaluate */
}

fmi3Status fmi3UpdateDiscreteStates(fmi3Instance instance, fmi3Boolean *discreteStatesNeedUpdate,
                                    fmi3Boolean *terminateSimulation, fmi3Boolean *nominalsOfContinuousStatesChanged,
                                    fmi3Boolean *valuesOfContinuousStatesChanged, fmi3Boolean *nextEventTimeDefined,
                                    fmi3Float64 *nextEventTime) {
    if (pt_check_mode(INSTANCE, "fmi3UpdateDiscreteStates", PT_MASK(PT_MODE_EVENT)) != PT_OK) return fmi3Error;
    /* the models have no discrete states, no state events and no time events */
    *discreteStatesNeedUpdate = fmi3False;
    *terminateSimulation = fmi3False;
    *nominalsOfContinuousStatesChanged = fmi3False;
    *valuesOfContinuousStatesChanged = fmi3False;
    *nextEventTimeDefined = fmi3False;
    *nextEventTime = 0.0;
    return fmi3OK;
}

/* ---- model exchange -------------------------------------------------------------------------------------- */

fmi3Status fmi3EnterContinuousTimeMode(fmi3Instance instance) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3EnterContinuousTimeMode") != fmi3OK) return fmi3Error;
    if (pt_check_mode(INSTANCE, "fmi3EnterContinuousTimeMode", PT_MASK(PT_MODE_EVENT)) != PT_OK) return fmi3Error;
    INSTANCE->mode = PT_MODE_CONTINUOUS;
    return fmi3OK;
}

fmi3Status fmi3CompletedIntegratorStep(fmi3Instance instance, fmi3Boolean noSetFMUStatePriorToCurrentPoint,
                                       fmi3Boolean *enterEventMode, fmi3Boolean *terminateSimulation) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3CompletedIntegratorStep") != fmi3OK) return fmi3Error;
    if (pt_check_mode(INSTANCE, "fmi3CompletedIntegratorStep", PT_MASK(PT_MODE_CONTINUOUS)) != PT_OK) return fmi3Error;
    *enterEventMode = fmi3False;
    *terminateSimulation = fmi3False;
    return fmi3OK;
}

fmi3Status fmi3SetTime(fmi3Instance instance, fmi3Float64 time) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3SetTime") != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_set_time(INSTANCE, time);
}

fmi3Status fmi3SetContinuousStates(fmi3Instance instance, const fmi3Float64 continuousStates[],
                                   size_t nContinuousStates) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3SetContinuousStates") != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_set_states(INSTANCE, continuousStates, nContinuousStates);
}

fmi3Status fmi3GetContinuousStateDerivatives(fmi3Instance instance, fmi3Float64 derivatives[],
                                             size_t nContinuousStates) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3GetContinuousStateDerivatives") != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_get_derivatives(INSTANCE, derivatives, nContinuousStates);
}

fmi3Status fmi3GetEventIndicators(fmi3Instance instance, fmi3Float64 eventIndicators[], size_t nEventIndicators) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3GetEventIndicators") != fmi3OK) return fmi3Error;
    if (nEventIndicators == 0) return fmi3OK;
    pt_log(INSTANCE, PT_ERROR, "fmi3GetEventIndicators: this FMU has no event indicators; got %zu.", nEventIndicators);
    return fmi3Error;
}

fmi3Status fmi3GetContinuousStates(fmi3Instance instance, fmi3Float64 continuousStates[], size_t nContinuousStates) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3GetContinuousStates") != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_get_states(INSTANCE, continuousStates, nContinuousStates);
}

fmi3Status fmi3GetNominalsOfContinuousStates(fmi3Instance instance, fmi3Float64 nominals[], size_t nContinuousStates) {
    if (require_interface(instance, PT_MODEL_EXCHANGE, "fmi3GetNominalsOfContinuousStates") != fmi3OK) return fmi3Error;
    return (fmi3Status)pt_get_nominals(INSTANCE, nominals, nContinuousStates);
}

fmi3Status fmi3GetNumberOfEventIndicators(fmi3Instance instance, size_t *nEventIndicators) {
    if (!instance || !nEventIndicators) return fmi3Error;
    *nEventIndicators = 0;
    return fmi3OK;
}

fmi3Status fmi3GetNumberOfContinuousStates(fmi3Instance instance, size_t *nContinuousStates) {
    if (!instance || !nContinuousStates) return fmi3Error;
    *nContinuousStates = (size_t)INSTANCE->model->nx;
    return fmi3OK;
}

/* ---- co-simulation --------------------------------------------------------------------------------------- */

fmi3Status fmi3EnterStepMode(fmi3Instance instance) {
    if (require_interface(instance, PT_CO_SIMULATION, "fmi3EnterStepMode") != fmi3OK) return fmi3Error;
    return unsupported(instance, "fmi3EnterStepMode", "the FMU has no event mode in co-simulation.");
}

fmi3Status fmi3GetOutputDerivatives(fmi3Instance instance, const fmi3ValueReference valueReferences[],
                                    size_t nValueReferences, const fmi3Int32 orders[], fmi3Float64 values[],
                                    size_t nValues) {
    return unsupported(instance, "fmi3GetOutputDerivatives", "maxOutputDerivativeOrder is 0.");
}

fmi3Status fmi3DoStep(fmi3Instance instance, fmi3Float64 currentCommunicationPoint, fmi3Float64 communicationStepSize,
                      fmi3Boolean noSetFMUStatePriorToCurrentPoint, fmi3Boolean *eventHandlingNeeded,
                      fmi3Boolean *terminateSimulation, fmi3Boolean *earlyReturn, fmi3Float64 *lastSuccessfulTime) {
    if (require_interface(instance, PT_CO_SIMULATION, "fmi3DoStep") != fmi3OK) return fmi3Error;
    pt_status status = pt_do_step(INSTANCE, currentCommunicationPoint, communicationStepSize);
    *eventHandlingNeeded = fmi3False;
    *terminateSimulation = fmi3False;
    *earlyReturn = fmi3False;
    *lastSuccessfulTime = INSTANCE->time;
    return (fmi3Status)status;
}

fmi3Status fmi3ActivateModelPartition(fmi3Instance instance, fmi3ValueReference clockReference,
                                      fmi3Float64 activationTime) {
    return unsupported(instance, "fmi3ActivateModelPartition", "scheduled execution is not provided.");
}
