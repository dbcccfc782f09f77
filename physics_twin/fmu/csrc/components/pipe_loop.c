/* Pipe loop with a throttling valve and fluid inertia: the equations of physics_twin/components/pipe_loop.py
 * (module docstring), in the same vector order.
 *   x = [flow_rate]
 *   u = [pressure_rise, valve_opening]
 *   y = [flow_rate, system_resistance, valve_pressure_drop]
 *   p = [fluid_inertance, static_head, pipe_resistance, valve_resistance, fluid_density] */
#include <math.h>

#include "pt_components.h"

#define MINIMUM_OPENING 1e-6 /* a closed valve is modelled as 1e-6 open, as in the Python module */

/* K_sys = K_pipe + K_valve / s^2 */
static double resistance(double opening, const double *p) {
    double s = fmax(opening, MINIMUM_OPENING);
    return p[2] + p[3] / (s * s);
}

void pt_pipe_loop_rhs(double t, const double *x, const double *u, const double *p, double *dx) {
    double flow = x[0];
    /* I dQ/dt = dp_pump - rho g H_st - K_sys Q|Q| */
    dx[0] = (u[0] - p[4] * PT_GRAVITY * p[1] - resistance(u[1], p) * flow * fabs(flow)) / p[0];
}

void pt_pipe_loop_output(double t, const double *x, const double *u, const double *p, double *y) {
    double s = fmax(u[1], MINIMUM_OPENING);
    y[0] = x[0];
    y[1] = resistance(u[1], p);
    y[2] = p[3] / (s * s) * x[0] * fabs(x[0]);
}
