// Package console is the web console `aloft console` serves (Decision 28):
// a local web server over any store, read with the caller's credentials,
// with nothing deployed. It shows the executions (paged through index/,
// whose entries carry each row's summary: Decision 34), an execution's
// header, node table, node details with attempts and logs, its graph and
// timeline, and it writes the same requests the CLI writes (cancel,
// relaunch, recover, launch-plan activation) into the bucket.
//
// Pages are small HTML shells; the embedded script (assets/, no CDN) fills
// them from the JSON routes under /api/ and polls a running execution.
// The graph is laid out in the browser by dagre (@dagrejs/dagre, MIT,
// bundled as assets/dagre.min.js): a maintained layered-DAG layout with no
// native code, 49 KB, and no WebAssembly runtime to start per request.
//
// The server binds to localhost by default; Options.Token, required for any
// other address, must come with every request (Authorization: Bearer, the
// aloft_token cookie, or ?token= once, which sets the cookie).
package console
