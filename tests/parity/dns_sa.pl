#!/usr/bin/perl
# dns_sa.pl -- judge messages with SpamAssassin with its network tests on
# (DNSEval, URIDNSBL, AskDNS), for tests/parity/dns_parity.py: the given
# rules and site directory, no Bayes, no auto-learning, no
# auto-welcomelist, user state in a private directory, and every DNS
# query sent to the one server given (the tests' private tests/dnsd.py).
# The site directory's .pre files say which plugins load; the caller
# leaves out those that talk to other servers (Razor2, Pyzor, DCC).
#
# usage: dns_sa.pl RULESDIR SITEDIR STATEDIR CONFTEXT < list-of-files
# CONFTEXT: configuration lines appended after the rules (dns_server,
# trusted_networks, ...).  Prints one JSON object per message: file,
# score, tests (the rules hit, with the __ sub-rules in subtests).
use strict;
use warnings;
use JSON::PP;
use Mail::SpamAssassin;

my ($rules, $site, $state, $conf) = @ARGV;
die "usage: $0 RULESDIR SITEDIR STATEDIR CONFTEXT\n" unless defined $conf;

my $sa = Mail::SpamAssassin->new({
	rules_filename       => $rules,
	site_rules_filename  => $site,
	userprefs_filename   => "$state/user_prefs",
	userstate_dir        => $state,
	home_dir_for_helpers => $state,
	local_tests_only     => 0,
	dont_copy_prefs      => 1,
	post_config_text     => "use_bayes 0\nbayes_auto_learn 0\n" .
	    "use_auto_whitelist 0\nuse_txrep 0\nskip_rbl_checks 0\n" .
	    "dns_available yes\n$conf\n",
});
$sa->compile_now(0, 1);
my $json = JSON::PP->new->canonical;
$| = 1;
while (my $file = <STDIN>) {
	chomp $file;
	next unless length $file;
	open(my $fh, '<', $file) or do { warn "$file: $!\n"; next; };
	local $/;
	my $text = <$fh>;
	close $fh;
	unlink glob("$sa->{global_state_dir}/dnsblock_*")
	    if defined $sa->{global_state_dir};
	my $msg = $sa->parse($text);
	my $st = $sa->check($msg);
	my @tests = grep { length } split(/,/, $st->get_names_of_tests_hit());
	my @sub = grep { length } split(/,/,
	    $st->get_names_of_subtests_hit() // '');
	print $json->encode({
		file => $file,
		score => $st->get_score() + 0,
		tests => \@tests,
		subtests => \@sub,
	}), "\n";
	$st->finish();
	$msg->finish();
}
