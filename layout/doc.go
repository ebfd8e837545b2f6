// Package layout is the one home of the bucket's keys (Architecture
// Decision 20): every key is built here, and every key a shell must
// recognise (from an object-created event or a listing) is parsed here, by
// the Parse matched with its Build. No other package concatenates or splits
// key strings. The table ("the bucket is the API"):
//
//	registry/<project>/<domain>/workflows/<name>/<version>.json     WorkflowKey; immutable (if-absent)
//	registry/<project>/<domain>/launchplans/<name>/<version>.json   LaunchPlanKey / ParseLaunchPlanKey; immutable
//	registry/<project>/<domain>/launchplans/<name>/active.json      PlanPointerKey / ParsePlanPointerKey; its write makes/updates the rule
//	requests/{launch,recover,relaunch}/<id>.json                    RequestKey / ParseRequestKey; written by the CLI
//	requests/cancel/<exec>.json                                     CancelRequestKey; consumed by functions
//	executions/<project>/<domain>/<exec>/state.json                 StateKey; header, if-match writes only (Decision 30)
//	executions/<project>/<domain>/<exec>/workflow.json              ExecWorkflowKey; the compiled workflow
//	executions/<project>/<domain>/<exec>/rejected.json              RejectionKey; why a launch request started nothing
//	executions/<project>/<domain>/<exec>/items/...                  ItemKey; state chunks and deltas (if-absent)
//	executions/<project>/<domain>/<exec>/notified-<phase>           NotifiedKey; notification dedupe markers
//	deployment.json                                                 DeploymentKey (Decision 31)
//	index/<project>/<domain>/<inverted-time>-<exec>                 IndexKey / ParseIndexKey; newest-first listing
//	data/<exec>/execution.json                                      ExecRefKey; the execution's project and domain
//	data/<exec>/inputs/<name>...                                    InputPrefix; ingested external inputs
//	data/<exec>/<node>[.<item>]/<attempt>/{inputs.json,claim.json,log.txt,outputs.json,error.json,outputs/...}
//	                                                                AttemptPrefix / ParseAttemptKey
//	data/<exec>/<node>/array-<hash>.json                            ArrayManifestKey
//	catalog/<project>/<domain>/<task>/<cache-version>/<key>.json    CatalogEntryKey; memoized outputs
//	catalog/<project>/<domain>/<task>/<cache-version>/<key>.reservation  CatalogReservationKey (Decision 33)
//	incoming/...                                                    IncomingKey / ParseIncomingKey; user drop zone
//	triggered/<rel>/<version>.json                                  TriggeredKey; a drop-zone object's version was triggered (Decision 27)
//	active/<project>/<domain>/<exec>                                LiveMarkerKey / ParseLiveMarkerKey; live executions
//	quarantine/<key>                                                QuarantineKey / ParseQuarantineKey; blobs that failed their digest
//	quarantine/<key>~reason.json                                    QuarantineReasonKey / ParseQuarantineReasonKey; why it was moved
//
// The package depends on nothing but the standard library, so that every
// other package (orchestrator included) may use it.
package layout
