# SAParity.pm -- the SpamAssassin object the parity scripts judge with:
# the given rules and site directory, local tests only, no Bayes, no
# auto-learning, no auto-welcomelist, user state in a private directory.
package SAParity;

use strict;
use warnings;
use Mail::SpamAssassin;

sub new_sa {
	my ($rules, $site, $state) = @_;
	my $sa = Mail::SpamAssassin->new({
		rules_filename       => $rules,
		site_rules_filename  => $site,
		userprefs_filename   => "$state/user_prefs",
		userstate_dir        => $state,
		home_dir_for_helpers => $state,
		local_tests_only     => 1,
		dont_copy_prefs      => 1,
		post_config_text     => "use_bayes 0\nbayes_auto_learn 0\n" .
		    "use_auto_whitelist 0\nuse_txrep 0\nskip_rbl_checks 1\n",
	});
	$sa->compile_now(0, 1);
	return $sa;
}

1;
