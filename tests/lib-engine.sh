# tests/lib-engine.sh: helpers for the backup engine tests (push, pull).

# mkdata FILE MIB SEED: MIB MiB of half text (compressible), half noise,
# the same for the same SEED
mkdata() {
	perl -e '
		my ($mib, $seed) = @ARGV; srand($seed);
		my $out = "";
		for my $i (1 .. $mib * 16) {
			if ($i % 2) {
				$out .= pack("L*", map { int(rand(4294967296)) } 1 .. 16384);
			} else {
				my $t = "";
				$t .= "line $i " . int(rand(1000)) . " of the seed $seed\n" while length($t) < 65536;
				$out .= substr($t, 0, 65536);
			}
		}
		print $out;' "$2" "$3" >"$1"
}

# newkey FILE: a repository key, mode 0600
newkey() { (umask 077 && anemone-keygen -t repo >"$1"); }

# files under a repository, sorted, with sizes
repo_files() { (cd "$1" && find . -type f | sort); }

# run_held CMD...: CMD in the background, its stdin the FIFO "held" whose
# writing end this shell holds as fd 7 (write the input there): CMD cannot
# see the end of its input, so it cannot finish before kill_held, and a
# kill never comes too late.  Run in a test body (its cwd); CMD is killed
# when the test ends in any case.  PID in $HELD_PID.
run_held() {
	rm -f held && mkfifo held || return 1
	"$@" <held >/dev/null 2>>held.err &
	HELD_PID=$!
	test_when_finished "kill -9 $HELD_PID 2>/dev/null"
	exec 7>held		# returns once CMD has opened it
}

# kill_held: kill -9 the held command (it must still run), reap it, close fd 7
kill_held() {
	kill -9 "$HELD_PID" || return 1
	wait "$HELD_PID" 2>/dev/null
	exec 7>&-
}
