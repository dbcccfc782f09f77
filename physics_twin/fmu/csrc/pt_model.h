/* The contract between a generated model (model.c) and the FMI glue of physics_twin's own FMUs.
 *
 * A model is a flat ODE  dx/dt = rhs(t, x, u, p),  y = output(t, x, u, p)  over double vectors, exactly as the
 * Python kernels of physics_twin.core.Model. The glue (pt_core.c + pt_fmi2.c or pt_fmi3.c) adds everything FMI
 * needs: value references, modes, a fixed-step RK4 for co-simulation, FMU state copies and their serialization.
 *
 * Value references are laid out by the counts alone (physics_twin/fmu/export.py writes the same layout into
 * modelDescription.xml):
 *   0                         time (independent variable)
 *   1 .. np                   parameters p[0..np-1]
 *   np+1                      rk4_max_step, the largest internal co-simulation step [s]
 *   np+2 .. np+1+nu           inputs u
 *   next nx                   continuous states x
 *   next nx                   state derivatives dx/dt
 *   next ny                   outputs y (an output that equals a state is published as the state variable)
 */
#ifndef PT_MODEL_H
#define PT_MODEL_H

#include <stddef.h>

typedef void (*pt_kernel)(double t, const double *x, const double *u, const double *p, double *result);

/* Writes one message per problem with the parameter combination into `message` (at most `size` bytes, joined by
 * "; ") and returns the number of problems (0 when the parameters are consistent). */
typedef int (*pt_check)(const double *p, char *message, size_t size);

typedef struct {
    const char *name;                 /* model name, for messages */
    const char *instantiation_token;  /* the GUID / instantiationToken of modelDescription.xml */
    int nx, nu, ny, np;
    const double *x_start, *u_start, *p_start;
    const double *p_min, *p_max;      /* bounds checked when a parameter is set (-INFINITY / INFINITY for none) */
    double rk4_max_step_start;        /* default of rk4_max_step [s] */
    const char *const *variable_names; /* indexed by value reference, for messages */
    pt_kernel rhs;                    /* writes nx derivatives */
    pt_kernel output;                 /* writes ny outputs */
    pt_check check;                   /* may be NULL */
} pt_model;

/* Defined by the generated model.c. */
extern const pt_model PT_MODEL;

#endif
