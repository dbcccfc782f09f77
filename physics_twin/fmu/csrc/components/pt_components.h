/* C kernels of the native components that physics_twin can export as FMUs.
 *
 * Each kernel has the signature of pt_kernel and mirrors the Python kernel of the module named beside it, with the
 * same vector order (the declaration order of STATES, INPUTS, OUTPUTS and PARAMETERS in that module). A check
 * function reports the parameter combinations that the component's `parameter_problems` rejects, appending
 * to `message` ("; " between problems) with `prefix` before each parameter name, and returns their number. */
#ifndef PT_COMPONENTS_H
#define PT_COMPONENTS_H

#include <stddef.h>

/* Every kernel has the pt_kernel signature, and some ignore some of their arguments. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif

#define PT_GRAVITY 9.80665 /* standard gravity [m/s^2], as in the Python modules */

/* physics_twin/components/dc_motor.py */
void pt_dc_motor_rhs(double t, const double *x, const double *u, const double *p, double *dx);
void pt_dc_motor_output(double t, const double *x, const double *u, const double *p, double *y);

/* physics_twin/components/centrifugal_pump.py */
void pt_centrifugal_pump_rhs(double t, const double *x, const double *u, const double *p, double *dx);
void pt_centrifugal_pump_output(double t, const double *x, const double *u, const double *p, double *y);
int pt_centrifugal_pump_check(const double *p, const char *prefix, char *message, size_t size);

/* physics_twin/components/pipe_loop.py */
void pt_pipe_loop_rhs(double t, const double *x, const double *u, const double *p, double *dx);
void pt_pipe_loop_output(double t, const double *x, const double *u, const double *p, double *y);

#endif
