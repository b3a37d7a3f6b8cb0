#!/usr/bin/perl
# sa_check.pl -- judge messages with SpamAssassin the way
# "spamassassin -L -t" does (local tests only, no Bayes, no auto-learning,
# no auto-welcomelist), in one process, for the parity and accuracy
# scripts.  Nothing on the system is read or written but the rules:
# the site configuration is a private directory (SITEDIR: the plugin
# .pre files and a local.cf), user state goes to a private directory.
#
# usage: sa_check.pl RULESDIR SITEDIR STATEDIR < list-of-files
# prints one JSON object per message: file, score, tests, elapsed_ms.
use strict;
use warnings;
use JSON::PP;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::Bin;
use Mail::SpamAssassin;
use SAParity;

my ($rules, $site, $state) = @ARGV;
die "usage: $0 RULESDIR SITEDIR STATEDIR\n" unless defined $state;

my $sa = SAParity::new_sa($rules, $site, $state);
my $json = JSON::PP->new->canonical;
$| = 1;
while (my $file = <STDIN>) {
	chomp $file;
	next unless length $file;
	open(my $fh, '<', $file) or do { warn "$file: $!\n"; next; };
	local $/;
	my $text = <$fh>;
	close $fh;
	my $t0 = time;
	my $msg = $sa->parse($text);
	my $st = $sa->check($msg);
	my @tests = grep { length } split(/,/, $st->get_names_of_tests_hit());
	my $out = {
		file => $file,
		score => $st->get_score() + 0,
		tests => \@tests,
		elapsed_ms => (time - $t0) * 1000,
	};
	$st->finish();
	$msg->finish();
	print $json->encode($out), "\n";
}
