package local

// Exported for tests.
type DockerRunForTest = dockerRun

func DockerArgsForTest(d dockerRun) []string { return d.args() }

var DockerImageForTest = dockerImage
