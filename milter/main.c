/*
 * main.c -- warden: a mail content filter for Postfix and Sendmail.
 */
#include "autoconfig.h"

#include "cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
