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
