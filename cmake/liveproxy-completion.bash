# bash completion for liveproxy (installed as share/bash-completion/completions/liveproxy).
# The options come from `liveproxy --help` of the binary being completed, so they follow its version:
# directories after an option whose value is DIR (--watch, --serve), files after FILE (and --config),
# nothing to offer after other values, and after `--` the app's command line, completed as that command's.

# Prints "--option METAVAR" per option line of --help ("--option" alone for a flag, "--poll [MS]" for
# an optional value).
_liveproxy_options()
{
    "$1" --help 2>/dev/null |
        sed -nE 's/^ {1,4}(-h, )?(--[a-z][a-z0-9-]*)( ([][A-Z_=]+))?( .*)?$/\2 \4/p'
}

_liveproxy()
{
    # shellcheck disable=SC2034 # words and cword are _init_completion's, set for the helpers below
    local cur prev words cword
    # '=' and ':' do not split words: --env NAME=VALUE, --upstream http://host:port.
    _init_completion -n =: || return

    local -A value_of=()
    local opt metavar
    while read -r opt metavar; do
        value_of[$opt]=$metavar
    done < <(_liveproxy_options "$1")
    # --help not answering (not on the PATH yet, or not a liveproxy): offer nothing rather than guess.
    ((${#value_of[@]})) || return

    # Past a bare `--`, the rest is the app's command: complete it as that command's own line.
    # Scanned in bash's own word list, which _command_offset works on; a value such as --ignore --
    # is an option's value, not the separator.
    local i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} == -- ]]; then
            _command_offset $((i + 1))
            return
        fi
        [[ -n ${COMP_WORDS[i]} ]] || continue
        metavar=${value_of[${COMP_WORDS[i]}]-}
        [[ -n $metavar && $metavar != \[* ]] && ((i++))
    done

    case $prev in
        --config)
            _filedir
            return
            ;;
        --watch | --serve)
            _filedir -d
            return
            ;;
    esac
    metavar=
    [[ -n $prev ]] && metavar=${value_of[$prev]-}
    case $metavar in
        DIR)
            _filedir -d
            return
            ;;
        FILE)
            _filedir
            return
            ;;
        '' | \[*) ;;
        *)
            # A number, address, glob, URL...: nothing sensible to offer.
            return
            ;;
    esac

    [[ $cur == -* || -z $cur ]] || return
    local -a all=("${!value_of[@]}" --)
    mapfile -t COMPREPLY < <(compgen -W "${all[*]}" -- "$cur")
} &&
    complete -F _liveproxy liveproxy

# ex: filetype=sh
