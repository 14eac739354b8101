"""Django's Redis cache with one client object per connection pool.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new ``redis.Redis`` around the
pool on every cache call (the client's constructor fills its table of ~170 response callbacks each time):
a fifth of a cached permission check's time. A ``redis.Redis`` is a thin, thread-safe wrapper of its pool,
so one per pool is kept and reused; connections, serialisation and every cache operation are Django's.
"""
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_clients", {})
        client = clients.get(id(pool))
        if client is None or client.connection_pool is not pool:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
