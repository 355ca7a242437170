// Package atomicfile creates the temporary files that reports and CSVs are
// written to before they are renamed into place.
//
// os.CreateTemp makes files 0600 whatever the umask: results a user shares
// with a CI artifact uploader, a web server or a colleague would then be
// readable by their owner only. The files made here get 0666 less the
// process umask (0644 by default), as the shell's > would give them.
package atomicfile
