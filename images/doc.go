// Package images pins task images to digests and builds task images
// without Docker, over github.com/google/go-containerregistry.
//
// Pin turns a reference such as "python:3.11-slim" into
// "index.docker.io/library/python@sha256:..." for one platform, checking
// the image offers it. For a multi-platform image the digest recorded is
// the platform's own manifest (not the index), so a Batch job pulls
// exactly the bytes that were checked.
//
// Build makes the image of a task that declares build: {base, code}: the
// base (pinned the same way) plus two layers, the static aloft-runner at
// RunnerPath (/aloft/bin/aloft-runner, mode 0755) and the code directory
// at CodeDir (/aloft/code) as a reproducible tar (entries in name order,
// times 1980-01-01, owner 0:0 with no names, modes 0644/0755, paths
// excluded by the directory's .aloftignore in .gitignore syntax and always
// .git/, __pycache__/, *.pyc and .aloft/). The image's config has
//
//	Entrypoint ["/aloft/bin/aloft-runner"], no Cmd, WorkingDir /aloft/code
//
// and the task's environment over the base's. A dispatcher therefore
// passes only the runner's arguments as the container command, e.g. AWS
// Batch containerOverrides.command = ["--store", "s3://B", "--attempt",
// PREFIX]. The image is tagged aloft-<first 12 hex digits of its digest>
// and pushed; blobs the registry has are not uploaded again, and an
// unchanged build writes nothing.
//
// An image: task's image has no runner in it. Build with no CodeDir adds
// the runner layer alone (keeping the image's working directory); with
// BuildConfig.AddRunner, Do does that for image: tasks instead of only
// pinning them, which is what a cloud job (which runs the runner) needs.
//
// Plan lists the pins and builds a compiled workflow needs (GPU tasks on
// linux/amd64, others on a default platform), Do carries one out, and
// ApplyPinned rewrites the tasks' images to the results; PinAll does all
// three, for `aloft register`.
//
// Credentials come from authn.DefaultKeychain (the Docker config and its
// helpers) unless WithKeychain says otherwise; package images/ecrauth adds
// ECR tokens from the AWS SDK. The runner binaries come from
// internal/runnerbin.
//
// It leaves out: building from a Dockerfile, multi-platform (index)
// outputs, layer caching across runs on disk (the registry is the cache),
// and signing.
package images
