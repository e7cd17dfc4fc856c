/** How an edge agent takes a new model version: download from the registry, verification, and (to come) canary. */
package ai.crate.edge.update;
