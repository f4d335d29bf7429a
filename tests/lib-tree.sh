# tests/lib-tree.sh: a tree with every kind of tar member, for the
# catalogue tests.

# mktree DIR: long names and paths, pax-only attributes (xattrs, a long
# link target), hard links, symlinks, a sparse file, a fifo, a character
# device (as root), non-UTF-8 and UTF-8 names, set-id modes, fixed times
mktree() {
	local d=$1 long
	long=$(printf 'l%.0s' $(seq 1 130))
	mkdir -p "$d/dir/sub/$long" "$d/empty"
	printf 'hello\n' >"$d/dir/a.txt"
	printf 'world\n' >"$d/dir/b.txt"
	head -c 300000 /dev/zero | tr '\0' 'x' >"$d/dir/sub/big"
	printf 'deep\n' >"$d/dir/sub/$long/file-with-a-long-path.txt"
	ln "$d/dir/a.txt" "$d/dir/hard"
	ln -s a.txt "$d/dir/sym"
	ln -s "../dir/sub/$long/file-with-a-long-path.txt" "$d/dir/longsym"
	truncate -s 2M "$d/sparse"
	printf 'island' | dd of="$d/sparse" bs=1 seek=1000000 conv=notrunc status=none
	mkfifo "$d/fifo"
	if [ "$(id -u)" -eq 0 ]; then mknod "$d/null" c 1 3; fi
	printf 'x' >"$d/$(printf 'bad\377name')"
	printf 'y' >"$d/caf$(printf '\303\251')"
	printf 's' >"$d/setuid" && chmod 4755 "$d/setuid"
	setfattr -n user.note -v kept "$d/dir/a.txt" 2>/dev/null || true
	find "$d" -exec touch -h -d '2024-05-06 07:08:09' {} +
}

# tv: `tar tv` of a stream on stdin, one normal form per line
tv() {
	tar --full-time -tvf - | perl -pe 's/^(\S+) (\S+) +(\S+) /$1 $2 $3 /'
}

# tsv2tv: anemone-pull -t's tab-separated lines in the same normal form
tsv2tv() {
	perl -F'\t' -lane '
		my $own = ($F[3] ne "" ? $F[3] : $F[1]) . "/" . ($F[4] ne "" ? $F[4] : $F[2]);
		(my $t = $F[6]) =~ s/^(\S+)T(\S+)Z$/$1 $2/;
		my $l = substr($F[0], 0, 1) eq "l" ? " -> $F[8]" :
		    substr($F[0], 0, 1) eq "h" ? " link to $F[8]" : "";
		print "$F[0] $own $F[5] $t $F[7]$l"'
}
