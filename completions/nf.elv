
use builtin;
use str;

set edit:completion:arg-completer[nf] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'nf'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'nf'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand serve 'Run the file server'
            cand put 'Upload files and directory trees'
            cand get 'Download files and directory trees'
            cand ls 'List stored files and directories'
            cand rm 'Delete stored files and directories'
            cand mkdir 'Create directories'
            cand mv 'Move or rename a file or directory'
            cand sync 'Make a tree equal another, sending only what changed'
            cand stat 'Show stored files by exact name'
            cand config 'Show, locate or create the config file'
            cand user 'Add, change, remove and list the users of the access file'
            cand access 'Explain what a user may do at a path'
            cand completions 'Print a shell completion script'
            cand receipt 'Check receipts: what a server signed that it accepted'
            cand share 'Share a file or folder by a link that needs no account'
            cand receipts 'List the uploads the server recorded: what arrived when'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;serve'= {
            cand --listen 'Address to listen on [default: 127.0.0.1:8889]'
            cand --root 'Storage directory [default: ~/.local/share/nf/files]'
            cand --store 'Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the local directory (local) [default: local]'
            cand --s3-endpoint 'URL of the object store, such as http://127.0.0.1:8333 [default: AWS]'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --read-only 'Serve files but refuse put, rm, mkdir and mv'
            cand --no-compat 'Do not answer the old classroom clients (text dialects); same as `compat = false`'
            cand --fingerprint 'Print the server''s TLS identity (sha256//BASE64, the fingerprint clients pin) and exit'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;put'= {
            cand --as 'Store the file (or with -r the directory) under this name (only with one FILE); with a trailing slash (`--as docs/`), store each FILE under its own name inside that directory, as cp and scp do'
            cand --receipt 'Write the server''s signed receipt of the upload to this file (one file uploaded); with a trailing slash, or an existing directory, one receipt per upload inside it, named after the uploaded name with / as %2F and % as %25, plus .receipt.json. Check them with `nf receipt verify`'
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -r 'Upload directories with everything in them, each under its own name'
            cand --recursive 'Upload directories with everything in them, each under its own name'
            cand -L 'With -r, follow symbolic links (a link to a directory is uploaded as a directory); without it, links are skipped with a warning'
            cand --dereference 'With -r, follow symbolic links (a link to a directory is uploaded as a directory); without it, links are skipped with a warning'
            cand -f 'Overwrite files that already exist on the server'
            cand --force 'Overwrite files that already exist on the server'
            cand --resume 'Continue interrupted uploads from where they stopped; a file the server already holds whole is done at once. Streams (-, pipes) cannot be resumed'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;get'= {
            cand -o 'Where to write: a directory (created if PATH ends with /, or with -r), a file name (one NAME), or - for standard output'
            cand --output 'Where to write: a directory (created if PATH ends with /, or with -r), a file name (one NAME), or - for standard output'
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -r 'Download directories with everything in them, each under its own name'
            cand --recursive 'Download directories with everything in them, each under its own name'
            cand -f 'Overwrite local files that already exist'
            cand --force 'Overwrite local files that already exist'
            cand --resume 'Continue interrupted downloads from where they stopped; a local file that already holds the server''s content is done at once'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;ls'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --json 'Print a JSON array of {name, type, size, modified, mode, blake3} objects'
            cand -r 'List the whole tree below PATH'
            cand --recursive 'List the whole tree below PATH'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;rm'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -r 'Delete directories and everything in them'
            cand --recursive 'Delete directories and everything in them'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;mkdir'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;mv'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -f 'Replace a file that exists at the destination'
            cand --force 'Replace a file that exists at the destination'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;sync'= {
            cand --exclude 'Leave out entries matching this glob (without /: any entry of that name; with /: that path below the top of the tree); neither sent nor deleted. Repeatable'
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -c 'Compare files by BLAKE3 instead of size and modification time, as rsync''s -c (the server keeps each file''s hash, so it reads nothing)'
            cand --checksum 'Compare files by BLAKE3 instead of size and modification time, as rsync''s -c (the server keeps each file''s hash, so it reads nothing)'
            cand --delete 'Delete what DST has and SRC lacks (refused when SRC is empty or after any error)'
            cand -n 'Print what would be done, one line per action, and change nothing'
            cand --dry-run 'Print what would be done, one line per action, and change nothing'
            cand -L 'Follow symbolic links in a local SRC; without it, they are skipped (counted once in the summary, named with -v)'
            cand --dereference 'Follow symbolic links in a local SRC; without it, they are skipped (counted once in the summary, named with -v)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;stat'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --json 'Print a JSON array of {name, size, modified, blake3} objects'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;config'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --listen 'Address to listen on [default: 127.0.0.1:8889]'
            cand --root 'Storage directory [default: ~/.local/share/nf/files]'
            cand --store 'Keep files in a bucket of an S3-compatible object store (s3://BUCKET/PREFIX), or in the local directory (local) [default: local]'
            cand --s3-endpoint 'URL of the object store, such as http://127.0.0.1:8333 [default: AWS]'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --read-only 'Serve files but refuse put, rm, mkdir and mv'
            cand --no-compat 'Do not answer the old classroom clients (text dialects); same as `compat = false`'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print the path of the config file nf reads'
            cand init 'Write a commented config file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;config;path'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;config;init'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -f 'Overwrite the config file if it already exists'
            cand --force 'Overwrite the config file if it already exists'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;config;help'= {
            cand path 'Print the path of the config file nf reads'
            cand init 'Write a commented config file'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;config;help;path'= {
        }
        &'nf;config;help;init'= {
        }
        &'nf;config;help;help'= {
        }
        &'nf;user'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Add a user with a password'
            cand passwd 'Change a user''s password'
            cand rm 'Remove a user'
            cand ls 'List the users and their groups'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;user;add'= {
            cand -g 'A group the user belongs to (rules name it as @GROUP). Repeatable'
            cand --group 'A group the user belongs to (rules name it as @GROUP). Repeatable'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --generate 'Make a random password and print it once, instead of reading one'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;user;passwd'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --generate 'Make a random password and print it once, instead of reading one'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;user;rm'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;user;ls'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --json 'Print a JSON array of {name, groups} objects'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;user;help'= {
            cand add 'Add a user with a password'
            cand passwd 'Change a user''s password'
            cand rm 'Remove a user'
            cand ls 'List the users and their groups'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;user;help;add'= {
        }
        &'nf;user;help;passwd'= {
        }
        &'nf;user;help;rm'= {
        }
        &'nf;user;help;ls'= {
        }
        &'nf;user;help;help'= {
        }
        &'nf;access'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Print the rights a user has at a path, and the rules that give them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;access;check'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --json 'Print a JSON object {user, path, rights, hidden, traversable, rules, limits}'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;access;help'= {
            cand check 'Print the rights a user has at a path, and the rules that give them'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;access;help;check'= {
        }
        &'nf;access;help;help'= {
        }
        &'nf;completions'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;receipt'= {
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand verify 'Check that receipts were signed by a server you trust and were not changed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;receipt;verify'= {
            cand --fingerprint 'The fingerprint of the server that must have signed (sha256//BASE64, from `nf serve --fingerprint`); without it, any key recorded in known_servers'
            cand --file 'Also check that this local file is the content the receipt states (size and BLAKE3)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;receipt;help'= {
            cand verify 'Check that receipts were signed by a server you trust and were not changed'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;receipt;help;verify'= {
        }
        &'nf;receipt;help;help'= {
        }
        &'nf;share'= {
            cand --expires 'How long the link works: a number and s, m, h, d or w (30m, 7d); none: until removed'
            cand --max-uses 'How many files may be read (or uploaded) through it'
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --upload 'An upload link: new files into the folder PATH, nothing else (no list, read or overwrite)'
            cand --qr 'Also print the URL as a QR code (for phones)'
            cand --json 'Print the link as one JSON object (with its url)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ls 'List the share links you made'
            cand rm 'Remove share links: they answer 410 Gone from then on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;share;ls'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --json 'Print a JSON array of the links (each with its url)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;share;rm'= {
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;share;help'= {
            cand ls 'List the share links you made'
            cand rm 'Remove share links: they answer 410 Gone from then on'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;share;help;ls'= {
        }
        &'nf;share;help;rm'= {
        }
        &'nf;share;help;help'= {
        }
        &'nf;receipts'= {
            cand --since 'Only uploads committed at or after TIME: RFC 3339 (2026-12-20T23:59:00Z, or with +01:00), a day in UTC (2026-12-20), or an age (30m, 12h, 7d)'
            cand --who 'Only uploads sent by this user (or anonymous)'
            cand -s 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --server 'Server address, HOST:PORT [default: 127.0.0.1:8889]'
            cand --tls 'Use TLS: auto (to every server not on loopback), always or never [default: auto]'
            cand --fingerprint 'The fingerprint the server must present (sha256//BASE64, from `nf serve --fingerprint`)'
            cand --user 'Log in as this user (password from NF_PASSWORD, or asked on the terminal)'
            cand --config 'Read this config file instead of the default one (long form only: -c is sync''s --checksum, as in rsync and rclone)'
            cand --json 'Print one signed receipt (a JSON object) per line instead of the table'
            cand -q 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand --quiet 'Print nothing but data and errors (no progress, no summary, no server log)'
            cand -v 'Print more detail: one line per file transferred; the server logs connections too'
            cand --verbose 'Print more detail: one line per file transferred; the server logs connections too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'nf;help'= {
            cand serve 'Run the file server'
            cand put 'Upload files and directory trees'
            cand get 'Download files and directory trees'
            cand ls 'List stored files and directories'
            cand rm 'Delete stored files and directories'
            cand mkdir 'Create directories'
            cand mv 'Move or rename a file or directory'
            cand sync 'Make a tree equal another, sending only what changed'
            cand stat 'Show stored files by exact name'
            cand config 'Show, locate or create the config file'
            cand user 'Add, change, remove and list the users of the access file'
            cand access 'Explain what a user may do at a path'
            cand completions 'Print a shell completion script'
            cand receipt 'Check receipts: what a server signed that it accepted'
            cand share 'Share a file or folder by a link that needs no account'
            cand receipts 'List the uploads the server recorded: what arrived when'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'nf;help;serve'= {
        }
        &'nf;help;put'= {
        }
        &'nf;help;get'= {
        }
        &'nf;help;ls'= {
        }
        &'nf;help;rm'= {
        }
        &'nf;help;mkdir'= {
        }
        &'nf;help;mv'= {
        }
        &'nf;help;sync'= {
        }
        &'nf;help;stat'= {
        }
        &'nf;help;config'= {
            cand path 'Print the path of the config file nf reads'
            cand init 'Write a commented config file'
        }
        &'nf;help;config;path'= {
        }
        &'nf;help;config;init'= {
        }
        &'nf;help;user'= {
            cand add 'Add a user with a password'
            cand passwd 'Change a user''s password'
            cand rm 'Remove a user'
            cand ls 'List the users and their groups'
        }
        &'nf;help;user;add'= {
        }
        &'nf;help;user;passwd'= {
        }
        &'nf;help;user;rm'= {
        }
        &'nf;help;user;ls'= {
        }
        &'nf;help;access'= {
            cand check 'Print the rights a user has at a path, and the rules that give them'
        }
        &'nf;help;access;check'= {
        }
        &'nf;help;completions'= {
        }
        &'nf;help;receipt'= {
            cand verify 'Check that receipts were signed by a server you trust and were not changed'
        }
        &'nf;help;receipt;verify'= {
        }
        &'nf;help;share'= {
            cand ls 'List the share links you made'
            cand rm 'Remove share links: they answer 410 Gone from then on'
        }
        &'nf;help;share;ls'= {
        }
        &'nf;help;share;rm'= {
        }
        &'nf;help;receipts'= {
        }
        &'nf;help;help'= {
        }
    ]
    $completions[$command]
}
