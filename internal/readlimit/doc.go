// Package readlimit opens and reads the files a user's file names (a
// scenario, a deploy manifest, its compose file, the files it copies) so
// that a hostile or mistaken name cannot hang or exhaust the run: only
// regular files are read, never more than a limit.
//
// /dev/zero would otherwise be read until memory runs out, and a FIFO would
// block the open until some writer appears. Open does not block on a FIFO
// (O_NONBLOCK) and checks the type on the opened file, so the file cannot be
// swapped between the check and the read.
package readlimit
