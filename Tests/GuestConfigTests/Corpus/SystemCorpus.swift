// System configuration files as distributions ship them (trimmed). Raw strings where the file has
// backslashes.

enum SystemCorpus {
    /// RHEL/CentOS 7 ifcfg-eth0 written by anaconda (bare values, one quoted NAME with UUID and HWADDR).
    static let centos7IfcfgEth0 = """
        TYPE=Ethernet
        PROXY_METHOD=none
        BROWSER_ONLY=no
        BOOTPROTO=dhcp
        DEFROUTE=yes
        IPV4_FAILURE_FATAL=no
        IPV6INIT=yes
        NAME=eth0
        UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03
        DEVICE=eth0
        ONBOOT=yes
        HWADDR=00:15:5D:01:02:03

        """

    /// SLES 15 /etc/sysconfig/network/ifcfg-eth0 (YaST: single quotes).
    static let sles15IfcfgEth0 = """
        BOOTPROTO='dhcp'
        STARTMODE='auto'
        DHCLIENT_SET_DEFAULT_ROUTE='yes'
        ZONE=''

        """

    /// SLES 15 /etc/sysconfig/network/dhcp excerpt (metadata comments, double quotes).
    static let sles15SysconfigDhcp = """
        ## Path:        Network/DHCP/DHCP client
        ## Description: Request a hostname
        ## Type:        string
        ## Default:     AUTO
        #
        # Specifies the hostname option field when DHCP client sends messages.
        #
        DHCLIENT_HOSTNAME_OPTION="AUTO"

        ## Type:        yesno
        ## Default:     yes
        #
        # Should the DHCP client set the hostname?
        #
        DHCLIENT_SET_HOSTNAME="yes"

        """

    /// CentOS 6 /etc/sysconfig/network.
    static let centos6SysconfigNetwork = """
        NETWORKING=yes
        HOSTNAME=build-vm-17.example.com
        GATEWAY=10.0.0.1

        """

    /// SLES 15 /etc/sudoers excerpt with the targetpw pair, a continuation and @includedir.
    static let sles15Sudoers = #"""
        ## sudoers file.
        ##
        ## This file MUST be edited with the 'visudo' command as root.
        ## Failure to use 'visudo' may result in syntax or file permission errors
        ## that prevent sudo from running.
        ##
        ## See the sudoers man page for the details on how to write a sudoers file.
        ##

        ##
        ## Defaults specification
        ##
        ## Prevent environment variables from influencing programs in an
        ## unexpected or harmful way (CVE-2005-2959, CVE-2005-4158, CVE-2006-0151)
        Defaults always_set_home
        Defaults env_reset
        ## Change env_reset to !env_reset in previous line to keep all environment variables
        ## Following list will no longer be necessary after this change
        Defaults env_keep = "LANG LC_ADDRESS LC_CTYPE LC_COLLATE LC_IDENTIFICATION LC_MEASUREMENT LC_MESSAGES \
                             LC_MONETARY LC_NAME LC_NUMERIC LC_PAPER LC_TELEPHONE LC_TIME LC_ALL \
                             LANGUAGE LINGUAS XDG_SESSION_COOKIE"

        ## In the default (unconfigured) configuration, sudo asks for the root password.
        ## This allows use of an ordinary user account for administration of a freshly
        ## installed system. When configuring sudo, delete the two
        ## following lines:
        Defaults targetpw   # ask for the password of the target user i.e. root
        ALL   ALL=(ALL) ALL   # WARNING! Only use this together with 'Defaults targetpw'!

        ##
        ## User privilege specification
        ##
        root ALL=(ALL) ALL

        ## Read drop-in files from /etc/sudoers.d
        @includedir /etc/sudoers.d

        """#

    static let sles15SudoersEdited = #"""
        ## sudoers file.
        ##
        ## This file MUST be edited with the 'visudo' command as root.
        ## Failure to use 'visudo' may result in syntax or file permission errors
        ## that prevent sudo from running.
        ##
        ## See the sudoers man page for the details on how to write a sudoers file.
        ##

        ##
        ## Defaults specification
        ##
        ## Prevent environment variables from influencing programs in an
        ## unexpected or harmful way (CVE-2005-2959, CVE-2005-4158, CVE-2006-0151)
        Defaults always_set_home
        Defaults env_reset
        ## Change env_reset to !env_reset in previous line to keep all environment variables
        ## Following list will no longer be necessary after this change
        Defaults env_keep = "LANG LC_ADDRESS LC_CTYPE LC_COLLATE LC_IDENTIFICATION LC_MEASUREMENT LC_MESSAGES \
                             LC_MONETARY LC_NAME LC_NUMERIC LC_PAPER LC_TELEPHONE LC_TIME LC_ALL \
                             LANGUAGE LINGUAS XDG_SESSION_COOKIE"

        ## In the default (unconfigured) configuration, sudo asks for the root password.
        ## This allows use of an ordinary user account for administration of a freshly
        ## installed system. When configuring sudo, delete the two
        ## following lines:
        # Defaults targetpw   # ask for the password of the target user i.e. root
        # ALL   ALL=(ALL) ALL   # WARNING! Only use this together with 'Defaults targetpw'!

        ##
        ## User privilege specification
        ##
        root ALL=(ALL) ALL

        ## Read drop-in files from /etc/sudoers.d
        @includedir /etc/sudoers.d

        """#

    /// CentOS 7 /etc/sudoers excerpt (no targetpw; #includedir).
    static let centos7Sudoers = #"""
        ## Allow root to run any commands anywhere
        root	ALL=(ALL) 	ALL

        ## Allows people in group wheel to run all commands
        %wheel	ALL=(ALL)	ALL

        ## Read drop-in files from /etc/sudoers.d (the # here does not mean a comment)
        #includedir /etc/sudoers.d

        """#

    /// WALinuxAgent config/waagent.conf (the default, used by RHEL-family), trimmed.
    static let waagentDefault = """
        #
        # Microsoft Azure Linux Agent Configuration
        #

        # Enable extension handling. Do not disable this unless you do not need password reset,
        # backup, monitoring, or any extension handling whatsoever.
        Extensions.Enabled=y

        # Which provisioning agent to use. Supported values are "auto" (default), "waagent",
        # "cloud-init", or "disabled".
        Provisioning.Agent=auto

        # Password authentication for root account will be unavailable.
        Provisioning.DeleteRootPassword=y

        # Generate fresh host key pair.
        Provisioning.RegenerateSshHostKeyPair=y

        # Supported values are "rsa", "dsa", "ecdsa", "ed25519", and "auto".
        # The "auto" option is supported on OpenSSH 5.9 (2011) and later.
        Provisioning.SshHostKeyPairType=rsa

        # Format if unformatted. If 'n', resource disk will not be mounted.
        ResourceDisk.Format=y

        # File system on the resource disk
        # Typically ext3 or ext4. FreeBSD images should use 'ufs2' here.
        ResourceDisk.Filesystem=ext4

        # Create and use swapfile on resource disk.
        ResourceDisk.EnableSwap=n

        # Comma-separated list of mount options. See mount(8) for valid options.
        ResourceDisk.MountOptions=None

        # Respond to load balancer probes if requested by Microsoft Azure.
        LBProbeResponder=y

        # Enable Console logging, default is y
        # Logs.Console=y

        # If "None", the system default version is used.
        OS.OpensslPath=None

        # Add firewall rules to protect access to Azure host node services
        OS.EnableFirewall=y

        """

    /// config/ubuntu/waagent.conf, trimmed: RegenerateSshHostKeyPair=n, ResourceDisk.Format=n.
    static let waagentUbuntu = """
        #
        # Microsoft Azure Linux Agent Configuration
        #

        Extensions.Enabled=y
        Provisioning.Agent=auto
        Provisioning.DeleteRootPassword=y
        Provisioning.RegenerateSshHostKeyPair=n
        Provisioning.SshHostKeyPairType=rsa
        ResourceDisk.Format=n
        ResourceDisk.Filesystem=ext4
        ResourceDisk.MountPoint=/mnt
        ResourceDisk.EnableSwap=n
        OS.RootDeviceScsiTimeout=300
        OS.SshDir=/etc/ssh
        # Enable or disable goal state processing auto-update, default is enabled
        # AutoUpdate.Enabled=y
        OS.EnableFirewall=y
        CGroups.EnforceLimits=n

        """

    /// config/coreos/waagent.conf, trimmed (installed as /usr/share/oem/waagent.conf).
    static let waagentCoreOS = """
        Provisioning.Enabled=y
        Provisioning.DeleteRootPassword=n
        Provisioning.RegenerateSshHostKeyPair=n
        Provisioning.SshHostKeyPairType=ed25519
        ResourceDisk.Format=y
        ResourceDisk.Filesystem=ext4
        OS.PasswordPath=/etc/shadow
        OS.AllowHTTP=n
        Lib.Dir=/var/lib/waagent
        """

    /// Ubuntu 22.04 /etc/ssh/sshd_config (trimmed): Include first, commented defaults, a commented Match.
    static let ubuntu2204SshdConfig = """

        # This is the sshd server system-wide configuration file.  See
        # sshd_config(5) for more information.

        Include /etc/ssh/sshd_config.d/*.conf

        #Port 22
        #AddressFamily any
        KbdInteractiveAuthentication no
        UsePAM yes
        X11Forwarding yes
        PrintMotd no
        #ClientAliveInterval 0
        #ClientAliveCountMax 3

        # Allow client to pass locale environment variables
        AcceptEnv LANG LC_*

        # override default of no subsystems
        Subsystem\tsftp\t/usr/lib/openssh/sftp-server

        # Example of overriding settings on a per-user basis
        #Match User anoncvs
        #\tX11Forwarding no
        #\tPermitTTY no

        """

    /// CentOS 6 /etc/shadow (trimmed).
    static let centos6Shadow = """
        root:$6$Wq0k2x1s$F3ttK5m0dHq2xYJcZ7nR8uV1w4eP6lS9aB3cD5fG7hJ1kL3mN5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hJ5kL7mN.:16000:0:99999:7:::
        bin:*:15980:0:99999:7:::
        daemon:*:15980:0:99999:7:::
        sshd:!!:16000::::::
        azureuser:$6$abcdefgh$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./:16001:0:99999:7:::

        """

    static let centos6Passwd = """
        root:x:0:0:root:/root:/bin/bash
        bin:x:1:1:bin:/bin:/sbin/nologin
        daemon:x:2:2:daemon:/sbin:/sbin/nologin
        sshd:x:74:74:Privilege-separated SSH:/var/empty/sshd:/sbin/nologin
        azureuser:x:1000:1000:Azure User:/home/azureuser:/bin/bash

        """

    static let centos6Group = """
        root:x:0:
        bin:x:1:bin,daemon
        wheel:x:10:root,azureuser
        adm:x:4:azureuser,daemon
        sshd:x:74:
        azureuser:x:1000:

        """

    static let centos6Gshadow = """
        root:::
        bin:::bin,daemon
        wheel:::root,azureuser
        adm:!:azureuser:azureuser,daemon
        sshd:!::
        azureuser:!::

        """

    /// config/suse/waagent.conf, trimmed (MonitorHostName=y, commented Lib.Dir and friends).
    static let waagentSUSE = """
        # Password authentication for root account will be unavailable.
        Provisioning.DeleteRootPassword=y

        # Generate fresh host key pair.
        Provisioning.RegenerateSshHostKeyPair=y

        # Monitor host name changes and publish changes via DHCP requests.
        Provisioning.MonitorHostName=y

        # Format if unformatted. If 'n', resource disk will not be mounted.
        ResourceDisk.Format=y

        # Mount point for the resource disk
        ResourceDisk.MountPoint=/mnt/resource

        # Create and use swapfile on resource disk.
        ResourceDisk.EnableSwap=n

        #
        # Lib.Dir=/var/lib/waagent

        # Add firewall rules to protect access to Azure host node services
        OS.EnableFirewall=y

        """

    /// The same after the cloud-init settings of generalize.md §a.7 (written by hand).
    static let waagentSUSECloudInit = """
        # Password authentication for root account will be unavailable.
        Provisioning.DeleteRootPassword=y

        # Generate fresh host key pair.
        Provisioning.RegenerateSshHostKeyPair=y

        # Monitor host name changes and publish changes via DHCP requests.
        Provisioning.MonitorHostName=y

        # Format if unformatted. If 'n', resource disk will not be mounted.
        ResourceDisk.Format=n

        # Mount point for the resource disk
        ResourceDisk.MountPoint=/mnt/resource

        # Create and use swapfile on resource disk.
        ResourceDisk.EnableSwap=n

        #
        # Lib.Dir=/var/lib/waagent

        # Add firewall rules to protect access to Azure host node services
        OS.EnableFirewall=y
        Provisioning.Agent=cloud-init

        """
}
