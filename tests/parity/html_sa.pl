#!/usr/bin/perl
# html_sa.pl -- SpamAssassin's HTML results, part by part, for the HTML
# parity script (html_parity.py).  SpamAssassin is set up as sa_check.pl
# does (local tests only, a private site directory and state directory).
# Each message is parsed and its body rendered, which runs
# Mail::SpamAssassin::HTML over every text/html part.  The text given to
# HTML::parse is captured (by wrapping it) and written to OUTDIR as UTF-8,
# so that Warden can be run on exactly the same input; the part's results
# hash ($msg->{metadata}->{html_all}) is printed next to it.
#
# usage: html_sa.pl RULESDIR SITEDIR STATEDIR OUTDIR < list-of-files
# prints one JSON object per HTML part: file, part, input (the written
# HTML), input_chars (whether SpamAssassin parsed characters or octets),
# results.  Messages whose parts cannot be matched with their results
# are reported on stderr ("skip: ...") and left out.
use strict;
use warnings;
use Encode ();
use JSON::PP;
use Scalar::Util qw(refaddr);
use FindBin;
use lib $FindBin::Bin;
use Mail::SpamAssassin;
use SAParity;
use Mail::SpamAssassin::HTML;

my ($rules, $site, $state, $outdir) = @ARGV;
die "usage: $0 RULESDIR SITEDIR STATEDIR OUTDIR\n" unless defined $outdir;
-d $outdir or mkdir($outdir) or die "$outdir: $!\n";

# Every call of HTML::parse for the current message: the parser object
# (its results hash identifies the part in html_all) and a copy of the
# text it was given, before parse() rewrites its own copy.
my @captured;
{
	no warnings 'redefine';
	my $orig = \&Mail::SpamAssassin::HTML::parse;
	*Mail::SpamAssassin::HTML::parse = sub {
		my $text = $_[1];
		push @captured, { obj => $_[0], text => $text };
		return $orig->(@_);
	};
}

my $sa = SAParity::new_sa($rules, $site, $state);

# SpamAssassin's strings are characters or octets depending on how the
# part was decoded: characters when the parser was given characters
# (normalize_charset, the default), octets (HTML::Parser's utf8_mode)
# otherwise.  The Perl UTF-8 flag does not tell: an all-ASCII part is
# parsed in character mode without it, and "&eacute;" then yields the
# character U+00E9 in a string still without the flag.  The UTF-8 bytes
# of the string, as Warden sees them.
sub bytes_of {
	my ($s, $chars) = @_;
	return undef unless defined $s;
	utf8::encode($s) if $chars || utf8::is_utf8($s);
	return $s;
}

# A string for JSON: its UTF-8 bytes read back as characters (a stray
# byte, possible in octet mode only, becomes U+FFFD), so that the output
# is always valid UTF-8.
my $chars;	# the current part's parser mode, for str()
sub str {
	my ($s) = @_;
	return undef unless defined $s;
	return Encode::decode('UTF-8', bytes_of($s, $chars),
	    Encode::FB_DEFAULT);
}

my @scalars = qw(length html_length non_space_len image_area min_size
    max_size closed_extra_ratio bad_tag_ratio non_element_ratio
    obfuscation_ratio);
my @flags = qw(font_low_contrast font_invalid_color font_face_bad
    form_action_mailto embeds uri_truncated);
my @lists = qw(comment title anchor script);

sub results {
	my ($r, $obj) = @_;
	my %o;

	for my $k (@scalars) {
		$o{$k} = $r->{$k} + 0 if defined $r->{$k};
	}
	for my $k (@flags) {
		$o{$k} = $r->{$k} ? 1 : 0 if defined $r->{$k};
	}
	for my $k (@lists) {
		$o{$k} = [ map { str($_) } @{$r->{$k}} ]
		    if ref $r->{$k} eq 'ARRAY';
	}
	# <meta> charsets are kept on the parser, not in the results.
	$o{charsets} = str($obj->{charsets}) if defined $obj->{charsets};
	if (ref $r->{inside} eq 'HASH') {
		my %in;
		$in{str($_)} = $r->{inside}{$_} + 0 for keys %{$r->{inside}};
		$o{inside} = \%in;
	}
	my $ud = ref $r->{uri_detail} eq 'HASH' ? $r->{uri_detail} : {};
	$o{uris} = [ sort map { str($_) } keys %$ud ];
	$o{iframe_src} = (grep { ref $_ eq 'HASH' && ref $_->{types} eq 'HASH'
	    && $_->{types}{iframe} } values %$ud) ? 1 : 0;
	# The rendered text, all of it and the visible part, as the message
	# part keeps it (Node::rendered).
	$o{rendered} = str(scalar $obj->get_rendered_text());
	$o{visible} = str(scalar $obj->get_rendered_text(invisible => 0));
	return \%o;
}

my $json = JSON::PP->new->canonical->utf8;
$| = 1;
my $nmsg = 0;
while (my $file = <STDIN>) {
	chomp $file;
	next unless length $file;
	open(my $fh, '<', $file) or do { warn "$file: $!\n"; next; };
	my $text = do { local $/; <$fh> };
	close $fh;
	$nmsg++;
	@captured = ();
	my $msg = $sa->parse($text);
	$msg->get_rendered_body_text_array();
	my @all = @{$msg->{metadata}->{html_all} || []};

	# html_all and the parse calls must be the same parts in the same
	# order: each results hash is the one its parser built.
	my $why;
	if (@all != @captured) {
		# An empty text/html part is in html_all as undef: it was
		# never parsed.
		$why = sprintf("%d results (%d undefined), %d parses",
		    scalar @all, scalar(grep { !defined } @all),
		    scalar @captured);
	} else {
		for my $i (0 .. $#all) {
			my $r = $captured[$i]{obj}->get_results();
			if (!ref $all[$i] || refaddr($r) != refaddr($all[$i])) {
				$why = "part $i: results out of order";
				last;
			}
		}
	}
	if (defined $why) {
		warn "skip: $file: $why\n";
		@captured = ();
		$msg->finish();
		next;
	}
	for my $i (0 .. $#all) {
		my $c = $captured[$i];
		$chars = $c->{obj}{SA_character_semantics_input} ? 1 : 0;
		my $path = sprintf("%s/%06d-%d.html", $outdir, $nmsg, $i);
		open(my $out, '>:raw', $path) or die "$path: $!\n";
		print $out bytes_of($c->{text}, $chars);
		close $out or die "$path: $!\n";
		print $json->encode({
			file => $file,
			part => $i,
			input => $path,
			input_chars => $chars,
			results => results($all[$i], $c->{obj}),
		}), "\n";
	}
	@captured = ();
	$msg->finish();
}
