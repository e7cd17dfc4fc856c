/**
 * The fleet controller: the fleet as {@code fleet-status} shows it ({@link ai.crate.edge.fleet.FleetView}) and staged
 * rollouts that halt and roll back past a failure threshold ({@link ai.crate.edge.fleet.Rollout}).
 */
package ai.crate.edge.fleet;
