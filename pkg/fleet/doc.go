// Package fleet tells where a rollout through the devices' own runners
// stands (deploy --plan runners): from the plan and the deploy reports the
// device jobs left (artifacts, or a results folder), which device runs
// which digest, which failed and why, which never reported (offline) and
// still runs its old digest, the waves' timeline, whether the failure
// budget still holds, and which devices a stopped rollout must put back.
//
// The same evaluation gates each wave of the workflow and records the
// result at its end, so the two can never disagree.
package fleet
