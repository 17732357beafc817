# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_nf_global_optspecs
    string join \n config= q/quiet v/verbose h/help V/version
end

function __fish_nf_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_nf_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_nf_using_subcommand
    set -l cmd (__fish_nf_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c nf -n "__fish_nf_needs_command" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_needs_command" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_needs_command" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_needs_command" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_needs_command" -f -a "serve" -d 'Run the file server'
complete -c nf -n "__fish_nf_needs_command" -f -a "put" -d 'Upload files and directory trees'
complete -c nf -n "__fish_nf_needs_command" -f -a "get" -d 'Download files and directory trees'
complete -c nf -n "__fish_nf_needs_command" -f -a "ls" -d 'List stored files and directories'
complete -c nf -n "__fish_nf_needs_command" -f -a "rm" -d 'Delete stored files and directories'
complete -c nf -n "__fish_nf_needs_command" -f -a "mkdir" -d 'Create directories'
complete -c nf -n "__fish_nf_needs_command" -f -a "mv" -d 'Move or rename a file or directory'
complete -c nf -n "__fish_nf_needs_command" -f -a "sync" -d 'Make a tree equal another, sending only what changed'
complete -c nf -n "__fish_nf_needs_command" -f -a "stat" -d 'Show stored files by exact name'
complete -c nf -n "__fish_nf_needs_command" -f -a "config" -d 'Show, locate or create the config file'
complete -c nf -n "__fish_nf_needs_command" -f -a "user" -d 'Add, change, remove and list the users of the access file'
complete -c nf -n "__fish_nf_needs_command" -f -a "access" -d 'Explain what a user may do at a path'
complete -c nf -n "__fish_nf_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c nf -n "__fish_nf_needs_command" -f -a "receipt" -d 'Check receipts: what a server signed that it accepted'
complete -c nf -n "__fish_nf_needs_command" -f -a "share" -d 'Share a file or folder by a link that needs no account'
complete -c nf -n "__fish_nf_needs_command" -f -a "receipts" -d 'List the uploads the server recorded: what arrived when'
complete -c nf -n "__fish_nf_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand serve" -l listen -d 'Address to listen on [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand serve" -l root -d 'Storage directory [default: ~/.local/share/nf/files]' -r -f -a "(__fish_complete_directories)"
complete -c nf -n "__fish_nf_using_subcommand serve" -l store -d 'Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the local directory (local) [default: local]' -r -f
complete -c nf -n "__fish_nf_using_subcommand serve" -l s3-endpoint -d 'URL of the object store, such as http://127.0.0.1:8333 [default: AWS]' -r -f
complete -c nf -n "__fish_nf_using_subcommand serve" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand serve" -l read-only -d 'Serve files but refuse put, rm, mkdir and mv'
complete -c nf -n "__fish_nf_using_subcommand serve" -l no-compat -d 'Do not answer the old classroom clients (text dialects); same as `compat = false`'
complete -c nf -n "__fish_nf_using_subcommand serve" -l fingerprint -d 'Print the server\'s TLS identity (sha256//BASE64, the fingerprint clients pin) and exit'
complete -c nf -n "__fish_nf_using_subcommand serve" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand serve" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand serve" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand put" -l as -d 'Store the file (or with -r the directory) under this name (only with one FILE); with a trailing slash (`--as docs/`), store each FILE under its own name inside that directory, as cp and scp do' -r
complete -c nf -n "__fish_nf_using_subcommand put" -l receipt -d 'Write the server\'s signed receipt of the upload to this file (one file uploaded); with a trailing slash, or an existing directory, one receipt per upload inside it, named after the uploaded name with / as %2F and % as %25, plus .receipt.json. Check them with `nf receipt verify`' -r -F
complete -c nf -n "__fish_nf_using_subcommand put" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand put" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand put" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand put" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand put" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand put" -s r -l recursive -d 'Upload directories with everything in them, each under its own name'
complete -c nf -n "__fish_nf_using_subcommand put" -s L -l dereference -d 'With -r, follow symbolic links (a link to a directory is uploaded as a directory); without it, links are skipped with a warning'
complete -c nf -n "__fish_nf_using_subcommand put" -s f -l force -d 'Overwrite files that already exist on the server'
complete -c nf -n "__fish_nf_using_subcommand put" -l resume -d 'Continue interrupted uploads from where they stopped; a file the server already holds whole is done at once. Streams (-, pipes) cannot be resumed'
complete -c nf -n "__fish_nf_using_subcommand put" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand put" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand put" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand put" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand get" -s o -l output -d 'Where to write: a directory (created if PATH ends with /, or with -r), a file name (one NAME), or - for standard output' -r -F
complete -c nf -n "__fish_nf_using_subcommand get" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand get" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand get" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand get" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand get" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand get" -s r -l recursive -d 'Download directories with everything in them, each under its own name'
complete -c nf -n "__fish_nf_using_subcommand get" -s f -l force -d 'Overwrite local files that already exist'
complete -c nf -n "__fish_nf_using_subcommand get" -l resume -d 'Continue interrupted downloads from where they stopped; a local file that already holds the server\'s content is done at once'
complete -c nf -n "__fish_nf_using_subcommand get" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand get" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand get" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand ls" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand ls" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand ls" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand ls" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand ls" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand ls" -l json -d 'Print a JSON array of {name, type, size, modified, mode, blake3} objects'
complete -c nf -n "__fish_nf_using_subcommand ls" -s r -l recursive -d 'List the whole tree below PATH'
complete -c nf -n "__fish_nf_using_subcommand ls" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand ls" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand ls" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand rm" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand rm" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand rm" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand rm" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand rm" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand rm" -s r -l recursive -d 'Delete directories and everything in them'
complete -c nf -n "__fish_nf_using_subcommand rm" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand rm" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand rm" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand mkdir" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand mkdir" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand mkdir" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand mkdir" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand mkdir" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand mkdir" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand mkdir" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand mkdir" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand mkdir" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand mv" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand mv" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand mv" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand mv" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand mv" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand mv" -s f -l force -d 'Replace a file that exists at the destination'
complete -c nf -n "__fish_nf_using_subcommand mv" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand mv" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand mv" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand mv" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand sync" -l exclude -d 'Leave out entries matching this glob (without /: any entry of that name; with /: that path below the top of the tree); neither sent nor deleted. Repeatable' -r
complete -c nf -n "__fish_nf_using_subcommand sync" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand sync" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand sync" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand sync" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand sync" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand sync" -s c -l checksum -d 'Compare files by BLAKE3 instead of size and modification time, as rsync\'s -c (the server keeps each file\'s hash, so it reads nothing)'
complete -c nf -n "__fish_nf_using_subcommand sync" -l delete -d 'Delete what DST has and SRC lacks (refused when SRC is empty or after any error)'
complete -c nf -n "__fish_nf_using_subcommand sync" -s n -l dry-run -d 'Print what would be done, one line per action, and change nothing'
complete -c nf -n "__fish_nf_using_subcommand sync" -s L -l dereference -d 'Follow symbolic links in a local SRC; without it, they are skipped (counted once in the summary, named with -v)'
complete -c nf -n "__fish_nf_using_subcommand sync" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand sync" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand sync" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand stat" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand stat" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand stat" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand stat" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand stat" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand stat" -l json -d 'Print a JSON array of {name, size, modified, blake3} objects'
complete -c nf -n "__fish_nf_using_subcommand stat" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand stat" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand stat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand stat" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l listen -d 'Address to listen on [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l root -d 'Storage directory [default: ~/.local/share/nf/files]' -r -f -a "(__fish_complete_directories)"
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l store -d 'Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the local directory (local) [default: local]' -r -f
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l s3-endpoint -d 'URL of the object store, such as http://127.0.0.1:8333 [default: AWS]' -r -f
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l read-only -d 'Serve files but refuse put, rm, mkdir and mv'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -l no-compat -d 'Do not answer the old classroom clients (text dialects); same as `compat = false`'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -f -a "path" -d 'Print the path of the config file nf reads'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -f -a "init" -d 'Write a commented config file'
complete -c nf -n "__fish_nf_using_subcommand config; and not __fish_seen_subcommand_from path init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from path" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from path" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from path" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from init" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from init" -s f -l force -d 'Overwrite the config file if it already exists'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the path of the config file nf reads'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "init" -d 'Write a commented config file'
complete -c nf -n "__fish_nf_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -f -a "add" -d 'Add a user with a password'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -f -a "passwd" -d 'Change a user\'s password'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -f -a "rm" -d 'Remove a user'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -f -a "ls" -d 'List the users and their groups'
complete -c nf -n "__fish_nf_using_subcommand user; and not __fish_seen_subcommand_from add passwd rm ls help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -s g -l group -d 'A group the user belongs to (rules name it as @GROUP). Repeatable' -r
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -l generate -d 'Make a random password and print it once, instead of reading one'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from passwd" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from passwd" -l generate -d 'Make a random password and print it once, instead of reading one'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from passwd" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from passwd" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from passwd" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from rm" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from ls" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from ls" -l json -d 'Print a JSON array of {name, groups} objects'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a user with a password'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Change a user\'s password'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a user'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List the users and their groups'
complete -c nf -n "__fish_nf_using_subcommand user; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Print the rights a user has at a path, and the rules that give them'
complete -c nf -n "__fish_nf_using_subcommand access; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from check" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from check" -l json -d 'Print a JSON object {user, path, rights, hidden, traversable, rules, limits}'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from help" -f -a "check" -d 'Print the rights a user has at a path, and the rules that give them'
complete -c nf -n "__fish_nf_using_subcommand access; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand completions" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand completions" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand completions" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand completions" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -f -a "verify" -d 'Check that receipts were signed by a server you trust and were not changed'
complete -c nf -n "__fish_nf_using_subcommand receipt; and not __fish_seen_subcommand_from verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l fingerprint -d 'The fingerprint of the server that must have signed (sha256//BASE64, from `nf serve --fingerprint`); without it, any key recorded in known_servers' -r
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l file -d 'Also check that this local file is the content the receipt states (size and BLAKE3)' -r -F
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check that receipts were signed by a server you trust and were not changed'
complete -c nf -n "__fish_nf_using_subcommand receipt; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l expires -d 'How long the link works: a number and s, m, h, d or w (30m, 7d); none: until removed' -r
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l max-uses -d 'How many files may be read (or uploaded) through it' -r
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l upload -d 'An upload link: new files into the folder PATH, nothing else (no list, read or overwrite)'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l qr -d 'Also print the URL as a QR code (for phones)'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -l json -d 'Print the link as one JSON object (with its url)'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -a "ls" -d 'List the share links you made'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -a "rm" -d 'Remove share links: they answer 410 Gone from then on'
complete -c nf -n "__fish_nf_using_subcommand share; and not __fish_seen_subcommand_from ls rm help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -l json -d 'Print a JSON array of the links (each with its url)'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from help" -f -a "ls" -d 'List the share links you made'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove share links: they answer 410 Gone from then on'
complete -c nf -n "__fish_nf_using_subcommand share; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand receipts" -l since -d 'Only uploads committed at or after TIME: RFC 3339 (2026-12-20T23:59:00Z, or with +01:00), a day in UTC (2026-12-20), or an age (30m, 12h, 7d)' -r
complete -c nf -n "__fish_nf_using_subcommand receipts" -l who -d 'Only uploads sent by this user (or anonymous)' -r
complete -c nf -n "__fish_nf_using_subcommand receipts" -s s -l server -d 'Server address, HOST:PORT [default: 127.0.0.1:8889]' -r -f
complete -c nf -n "__fish_nf_using_subcommand receipts" -l tls -d 'Use TLS: auto (to every server not on loopback), always or never [default: auto]' -r -f -a "auto\t''
always\t''
never\t''"
complete -c nf -n "__fish_nf_using_subcommand receipts" -l fingerprint -d 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)' -r
complete -c nf -n "__fish_nf_using_subcommand receipts" -l user -d 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)' -r -f -a "(__fish_complete_users)"
complete -c nf -n "__fish_nf_using_subcommand receipts" -l config -d 'Read this config file instead of the default one (long form only: -c is sync\'s --checksum, as in rsync and rclone)' -r -F
complete -c nf -n "__fish_nf_using_subcommand receipts" -l json -d 'Print one signed receipt (a JSON object) per line instead of the table'
complete -c nf -n "__fish_nf_using_subcommand receipts" -s q -l quiet -d 'Print nothing but data and errors (no progress, no summary, no server log)'
complete -c nf -n "__fish_nf_using_subcommand receipts" -s v -l verbose -d 'Print more detail: one line per file transferred; the server logs connections too'
complete -c nf -n "__fish_nf_using_subcommand receipts" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c nf -n "__fish_nf_using_subcommand receipts" -s V -l version -d 'Print version'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "serve" -d 'Run the file server'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "put" -d 'Upload files and directory trees'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "get" -d 'Download files and directory trees'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "ls" -d 'List stored files and directories'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "rm" -d 'Delete stored files and directories'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "mkdir" -d 'Create directories'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "mv" -d 'Move or rename a file or directory'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "sync" -d 'Make a tree equal another, sending only what changed'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "stat" -d 'Show stored files by exact name'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "config" -d 'Show, locate or create the config file'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "user" -d 'Add, change, remove and list the users of the access file'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "access" -d 'Explain what a user may do at a path'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "completions" -d 'Print a shell completion script'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "receipt" -d 'Check receipts: what a server signed that it accepted'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "share" -d 'Share a file or folder by a link that needs no account'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "receipts" -d 'List the uploads the server recorded: what arrived when'
complete -c nf -n "__fish_nf_using_subcommand help; and not __fish_seen_subcommand_from serve put get ls rm mkdir mv sync stat config user access completions receipt share receipts help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the path of the config file nf reads'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "init" -d 'Write a commented config file'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "add" -d 'Add a user with a password'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "passwd" -d 'Change a user\'s password'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "rm" -d 'Remove a user'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from user" -f -a "ls" -d 'List the users and their groups'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from access" -f -a "check" -d 'Print the rights a user has at a path, and the rules that give them'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from receipt" -f -a "verify" -d 'Check that receipts were signed by a server you trust and were not changed'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from share" -f -a "ls" -d 'List the share links you made'
complete -c nf -n "__fish_nf_using_subcommand help; and __fish_seen_subcommand_from share" -f -a "rm" -d 'Remove share links: they answer 410 Gone from then on'
