/* Centrifugal pump curves scaled by the affinity laws: the equations of
 * physics_twin/components/centrifugal_pump.py (module docstring), in the same vector order. No states.
 *   u = [shaft_speed, flow_rate]
 *   y = [pressure_rise, shaft_torque, shaft_power, hydraulic_power, efficiency]
 *   p = [rated_speed, shutoff_head, bep_flow, bep_head, bep_efficiency, shutoff_power, fluid_density] */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pt_components.h"

void pt_centrifugal_pump_rhs(double t, const double *x, const double *u, const double *p, double *dx) {
    /* no states: the fluid inertia belongs to the pipe */
}

void pt_centrifugal_pump_output(double t, const double *x, const double *u, const double *p, double *y) {
    double speed = u[0], flow = u[1];
    double rated_speed = p[0], shutoff_head = p[1], bep_flow = p[2], bep_head = p[3], bep_efficiency = p[4];
    double shutoff_power = p[5], density = p[6];
    double ratio = speed / rated_speed;
    double head_coefficient = (shutoff_head - bep_head) / (bep_flow * bep_flow);
    double bep_power = density * PT_GRAVITY * bep_head * bep_flow / bep_efficiency;
    double power_coefficient = (bep_power - shutoff_power) / bep_flow;
    double head = shutoff_head * ratio * ratio - head_coefficient * flow * fabs(flow); /* H = H0 r^2 - a Q|Q| */
    double power = shutoff_power * ratio * ratio * ratio + power_coefficient * ratio * ratio * flow;
    y[0] = density * PT_GRAVITY * head;
    y[1] = speed / (rated_speed * rated_speed) * (shutoff_power * ratio + power_coefficient * flow);
    y[2] = power;
    y[3] = y[0] * flow;
    y[4] = power != 0.0 ? y[3] / power : 0.0;
}

/* Appends one problem to `message` (of `size` bytes), separated by "; ", truncating when full. */
static void append(char *message, size_t size, const char *format, ...) {
    size_t used = strlen(message);
    if (used + 3 >= size) return;
    if (used) {
        strcpy(message + used, "; ");
        used += 2;
    }
    va_list args;
    va_start(args, format);
    vsnprintf(message + used, size - used, format, args);
    va_end(args);
}

/* The checks of CentrifugalPump.parameter_problems. */
int pt_centrifugal_pump_check(const double *p, const char *prefix, char *message, size_t size) {
    int problems = 0;
    if (p[3] >= p[1]) {
        append(message, size, "`%sbep_head` must be below `%sshutoff_head` (a stable, falling head curve); got %.17g m "
               ">= %.17g m.", prefix, prefix, p[3], p[1]);
        ++problems;
    }
    double bep_power = p[6] * PT_GRAVITY * p[3] * p[2] / p[4];
    if (p[5] >= bep_power) {
        append(message, size, "`%sshutoff_power` must be below the BEP shaft power %.6g W "
               "(rho*g*bep_head*bep_flow/bep_efficiency); got %.17g W.", prefix, bep_power, p[5]);
        ++problems;
    }
    return problems;
}
