/* Permanent-magnet DC motor with a lumped winding-temperature node: the equations of
 * physics_twin/components/dc_motor.py (module docstring), in the same vector order.
 *   x = [current, shaft_speed, winding_temperature]
 *   u = [voltage, load_torque, ambient_temperature]
 *   y = [current, shaft_speed, winding_temperature, electromagnetic_torque, winding_resistance, electrical_power]
 *   p = [reference_resistance, reference_temperature, resistance_temperature_coefficient, inductance,
 *        torque_constant, rotor_inertia, viscous_friction, thermal_capacitance, thermal_resistance] */
#include "pt_components.h"

/* R(T_w) = R_ref (1 + alpha (T_w - T_ref)) */
static double resistance(double temperature, const double *p) { return p[0] * (1.0 + p[2] * (temperature - p[1])); }

void pt_dc_motor_rhs(double t, const double *x, const double *u, const double *p, double *dx) {
    double current = x[0], speed = x[1], temperature = x[2];
    double r = resistance(temperature, p);
    dx[0] = (u[0] - r * current - p[4] * speed) / p[3];                         /* L di/dt = V - R i - k w */
    dx[1] = (p[4] * current - p[6] * speed - u[1]) / p[5];                      /* J dw/dt = k i - b w - tau_L */
    dx[2] = (r * current * current - (temperature - u[2]) / p[8]) / p[7];       /* C dT/dt = R i^2 - (T - T_a)/R_th */
}

void pt_dc_motor_output(double t, const double *x, const double *u, const double *p, double *y) {
    y[0] = x[0];
    y[1] = x[1];
    y[2] = x[2];
    y[3] = p[4] * x[0];
    y[4] = resistance(x[2], p);
    y[5] = u[0] * x[0];
}
