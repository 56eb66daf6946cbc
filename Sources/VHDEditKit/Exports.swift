// One import for library users: `import VHDEditKit` brings every layer.
@_exported public import BlockIO
@_exported public import DiskLayout
@_exported public import Ext4
@_exported public import GuestConfig
@_exported public import HostSystem
@_exported public import ImagePrep
